"""The owner's dashboard beside the admin: jobs, positions, fills, results and spread charts."""
