"""Create the local stack's raw and derived buckets (docker-compose's `s3-init` service).

Idempotent: buckets that exist are left alone. Names follow the backend contract for the `local` environment:
`mplat-local-storage-{raw,derived}-<account id>` (moto's account id is 123456789012). Needs only boto3, which
the marimo image has; the endpoint comes from AWS_ENDPOINT_URL.
"""

from __future__ import annotations

import os
import sys

import boto3
from botocore.exceptions import ClientError


def bucket_names(env: str, account_id: str) -> list[str]:
    return [f"mplat-{env}-storage-{kind}-{account_id}" for kind in ("raw", "derived")]


def main() -> int:
    env = os.environ.get("MPLAT_ENV", "local")
    account_id = os.environ.get("AWS_ACCOUNT_ID", "123456789012")
    region = os.environ.get("AWS_DEFAULT_REGION", "eu-central-1")
    s3 = boto3.client("s3", region_name=region)
    for bucket in bucket_names(env, account_id):
        try:
            s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": region})
            print(f"created s3://{bucket}")
        except ClientError as error:
            if error.response["Error"]["Code"] not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
                print(f"cannot create s3://{bucket}: {error}", file=sys.stderr)
                return 1
            print(f"exists  s3://{bucket}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
