"""`apidocs check`: run every published snippet and prove it sent the documented request.

The pieces, one per module: `relay` (a loopback recording relay in front of the target),
`target` (a fresh sandbox process), `runners` (executing one snippet per language), `compare`
(expected vs sent, response vs docs), `session` (one snippet end to end), `report` (grid and
JUnit XML) and `run` (the command).
"""
