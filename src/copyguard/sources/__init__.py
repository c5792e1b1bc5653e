"""The I/O edge: live AWS (the only place boto3 is imported), later Terraform and CloudFormation.

Scenario files are read by :mod:`copyguard.scenario`; nothing here is imported on an
offline path.
"""
