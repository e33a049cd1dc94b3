"""A moto S3 server with signature checking on, for tests: `python moto_s3.py COMMAND [ARGS...]`.

Starts moto's server (through moto_strict.py, which makes its signature check follow SigV4 for
keys and prefixes with reserved characters) on a random loopback port, turns authentication on, creates an IAM
user with an allow-all policy and an access key (moto only checks SigV4 once
INITIAL_NO_AUTH_ACTION_COUNT requests have been served, and only against keys its IAM knows: the
default "test"/"test" keys are never checked), creates a bucket with that key, and runs COMMAND
with I2I_TEST_S3_ENDPOINT, I2I_TEST_S3_KEY_ID, I2I_TEST_S3_SECRET, I2I_TEST_S3_REGION,
I2I_TEST_S3_BUCKET and temporary credentials of an assumed role (I2I_TEST_S3_SESSION_KEY_ID,
_SECRET, _TOKEN) in its environment. Before running COMMAND it proves that checking is on: a
request signed with a wrong secret must get 403, otherwise no test could fail on a bad signature.
Exits with COMMAND's status; the server is stopped on every path.

Also importable: `with MotoS3() as s3:` gives the same values as attributes (s3.endpoint ...)."""
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

# The unauthenticated requests moto serves before it checks signatures: the three IAM calls that
# create the user, its policy and its key.
NO_AUTH_REQUESTS = 3
REGION = "us-east-1"
HERE = os.path.dirname(os.path.abspath(__file__))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class MotoS3:
    def __init__(self, bucket="i2i-test"):
        self.bucket = bucket
        self.proc = None
        self.log = None

    def __enter__(self):
        try:
            import boto3  # noqa: F401
            import moto  # noqa: F401
        except ImportError as e:
            raise SystemExit(
                "moto_s3: FAIL: %s; install the test venv (scripts/install-deps.sh installs "
                "tests/interop/requirements.txt, which pins moto[server])" % e)
        port = free_port()
        self.endpoint = "http://127.0.0.1:%d" % port
        env = dict(os.environ, INITIAL_NO_AUTH_ACTION_COUNT=str(NO_AUTH_REQUESTS))
        for k in list(env):
            if k.startswith("AWS_"):
                del env[k]
        self.log = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(
            [sys.executable, os.path.join(HERE, "moto_strict.py"), "-H", "127.0.0.1", "-p",
             str(port)],
            stdout=self.log, stderr=subprocess.STDOUT, env=env, start_new_session=True)
        try:
            self._wait_ready()
            self._make_key()
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def _wait_ready(self):
        deadline = time.time() + 60
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit("moto_s3: FAIL: moto exited early:\n" + self._log_tail())
            try:
                with socket.create_connection(("127.0.0.1", int(self.endpoint.rsplit(":", 1)[1])),
                                              timeout=1):
                    return
            except OSError:
                time.sleep(0.2)
        raise SystemExit("moto_s3: FAIL: moto did not start within 60 s:\n" + self._log_tail())

    def _client(self, service, key, secret):
        import boto3
        from botocore.config import Config
        return boto3.client(service, endpoint_url=self.endpoint, region_name=REGION,
                            aws_access_key_id=key, aws_secret_access_key=secret,
                            config=Config(s3={"addressing_style": "path"},
                                          retries={"max_attempts": 1}))

    def _make_key(self):
        iam = self._client("iam", "bootstrap", "bootstrap")
        iam.create_user(UserName="i2i")
        iam.put_user_policy(UserName="i2i", PolicyName="all", PolicyDocument=json.dumps({
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))
        k = iam.create_access_key(UserName="i2i")["AccessKey"]
        self.key_id, self.secret = k["AccessKeyId"], k["SecretAccessKey"]
        self.region = REGION
        self.s3 = self._client("s3", self.key_id, self.secret)
        self.s3.create_bucket(Bucket=self.bucket)
        # Temporary credentials with a session token, from an assumed role (moto does not know the
        # keys get_session_token hands out).
        iam = self._client("iam", self.key_id, self.secret)
        allow_all = json.dumps({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "*", "Resource": "*"}]})
        role = iam.create_role(RoleName="i2i-role", AssumeRolePolicyDocument=json.dumps({
            "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"},
                                                    "Action": "sts:AssumeRole"}]}))["Role"]
        iam.put_role_policy(RoleName="i2i-role", PolicyName="all", PolicyDocument=allow_all)
        temp = self._client("sts", self.key_id, self.secret).assume_role(
            RoleArn=role["Arn"], RoleSessionName="i2i-session")["Credentials"]
        self.session = (temp["AccessKeyId"], temp["SecretAccessKey"], temp["SessionToken"])
        # Prove that signatures are checked: a wrong secret must be refused.
        import botocore.exceptions
        try:
            self._client("s3", self.key_id, self.secret + "x").list_objects_v2(Bucket=self.bucket)
        except botocore.exceptions.ClientError as e:
            code = e.response["ResponseMetadata"]["HTTPStatusCode"]
            if code != 403:
                raise SystemExit("moto_s3: FAIL: a wrong secret gave HTTP %d, not 403" % code)
        else:
            raise SystemExit("moto_s3: FAIL: moto accepted a request signed with a wrong secret; "
                             "signature checking is off, so the tests could not fail")

    def env(self):
        return {"I2I_TEST_S3_ENDPOINT": self.endpoint, "I2I_TEST_S3_KEY_ID": self.key_id,
                "I2I_TEST_S3_SECRET": self.secret, "I2I_TEST_S3_REGION": self.region,
                "I2I_TEST_S3_BUCKET": self.bucket, "I2I_TEST_S3_SESSION_KEY_ID": self.session[0],
                "I2I_TEST_S3_SESSION_SECRET": self.session[1],
                "I2I_TEST_S3_SESSION_TOKEN": self.session[2]}

    def _log_tail(self):
        if not self.log:
            return ""
        self.log.seek(0)
        return self.log.read().decode("utf-8", "replace")[-4000:]

    def __exit__(self, *exc):
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        if self.log:
            self.log.close()
        return False


def main():
    if len(sys.argv) < 2:
        print("usage: moto_s3.py COMMAND [ARGS...]", file=sys.stderr)
        return 2
    with MotoS3() as s3:
        print("moto_s3: moto on %s, bucket %s, signature checking on (wrong secret -> 403)"
              % (s3.endpoint, s3.bucket), flush=True)
        rc = subprocess.call(sys.argv[1:], env=dict(os.environ, **s3.env()))
        if rc == 0:
            left = s3.s3.list_multipart_uploads(Bucket=s3.bucket).get("Uploads", [])
            if left:
                print("moto_s3: FAIL: multipart uploads left open (not aborted): %s"
                      % [u["Key"] for u in left], file=sys.stderr)
                rc = 1
        if rc != 0:
            print("moto_s3: command failed with status %d; moto log tail:\n%s"
                  % (rc, s3._log_tail()), file=sys.stderr)
        return rc


if __name__ == "__main__":
    sys.exit(main())
