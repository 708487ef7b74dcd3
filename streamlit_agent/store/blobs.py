"""Where an attachment's bytes live: in its database row (the default), or in an
S3-compatible bucket that every instance of the app shares.

Object keys are made of the conversation's and the file's server-made ids, never of a
name or an owner id, and no URL to an object is ever made: the bytes reach a person
only through the owner-checked store (`store/owned.Conversations.file_data`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any, Protocol
from urllib.parse import urlsplit

logger = logging.getLogger(__name__)

IN_DATABASE = "db"
IN_BUCKET = "s3"


class Blobs(Protocol):
    """Where file bytes go; `location` is recorded with each file."""

    location: str

    def put(self, key: str, data: bytes) -> None: ...
    def get(self, key: str) -> bytes: ...
    def delete(self, keys: Iterable[str]) -> None: ...


class BucketError(OSError):
    """The bucket cannot be used (the message names the bucket, never a credential)."""


def object_key(prefix: str, conversation_id: str, file_id: str) -> str:
    return f"{prefix}{conversation_id}/{file_id}"


class S3Blobs:
    """An S3-compatible bucket (AWS S3, MinIO, Ceph, R2…), named `s3://bucket/prefix`;
    credentials come from boto3's own chain (AWS_ACCESS_KEY_ID and the rest)."""

    location = IN_BUCKET

    def __init__(self, url: str, endpoint_url: str | None = None, client: Any = None) -> None:
        parts = urlsplit(url)
        if parts.scheme != "s3" or not parts.netloc:
            raise ValueError("STREAMLIT_AGENT_FILES_BUCKET must look like s3://bucket/prefix")
        self.bucket = parts.netloc
        prefix = parts.path.strip("/")
        self.prefix = f"{prefix}/" if prefix else ""
        if client is None:
            import boto3  # only a deployment with a bucket pays for importing boto3
            from botocore.config import Config

            config = Config(connect_timeout=5, read_timeout=30, retries={"max_attempts": 3})
            client = boto3.client("s3", endpoint_url=endpoint_url or None, config=config)
        self.client = client

    def _fail(self, action: str, exc: Exception) -> BucketError:
        logger.warning(
            "file bucket s3://%s: %s failed: %s", self.bucket, action, type(exc).__name__
        )
        return BucketError(f"the file bucket s3://{self.bucket} is unavailable ({action})")

    def put(self, key: str, data: bytes) -> None:
        try:
            self.client.put_object(Bucket=self.bucket, Key=key, Body=data)
        except Exception as exc:  # botocore's errors have no common base short of this
            raise self._fail("write", exc) from None

    def get(self, key: str) -> bytes:
        try:
            return self.client.get_object(Bucket=self.bucket, Key=key)["Body"].read()
        except Exception as exc:
            raise self._fail("read", exc) from None

    def delete(self, keys: Iterable[str]) -> None:
        """Best effort after the rows are gone: an object left behind has no row, so
        nothing can reach it; the log names how many were left."""
        keys = list(keys)
        for start in range(0, len(keys), 1000):  # DeleteObjects takes 1,000 at most
            batch = [{"Key": k} for k in keys[start : start + 1000]]
            try:
                self.client.delete_objects(Bucket=self.bucket, Delete={"Objects": batch})
            except Exception as exc:
                logger.warning(
                    "file bucket s3://%s: %d objects not deleted (%s)",
                    self.bucket,
                    len(batch),
                    type(exc).__name__,
                )
