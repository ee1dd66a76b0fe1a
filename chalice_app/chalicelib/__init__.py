"""Ingestion Lambdas: sources pull APIs into the raw bucket, transforms derive from raw objects.

Only the standard library and boto3 (present in the Lambda runtime) are used, so the deployment zip stays tiny.
"""
