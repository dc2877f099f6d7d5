"""Calendar spreads: the maths (`maths`), the /sprices computation (`prices`), the job's decision
logic as a pure state machine (`machine`) and the job that binds it to the broker (`job`)."""
