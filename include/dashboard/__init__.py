"""What the Retail Advisor dashboard reads: the marts as versionable JSON exports (``export``)."""
