"""The market scanners /scan and /dscan: pure maths (`maths`), the pairs (`pairs`), and a thin
driver (`desk.ScanDesk`) that fetches the whole market in a few bulk broker requests."""
