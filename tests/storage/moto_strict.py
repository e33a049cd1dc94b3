"""moto's server (`python -m moto.server` arguments), with its SigV4 check made to follow the spec.

moto 5.2.1 recomputes a request's signature from the *decoded* URL: the canonical path of
s3://b/a/p=1/x.json comes out as "/b/a/p=1/x.json" instead of "/b/a/p%3D1/x.json", and the query
prefix=a%2F as "prefix=a/". Every correct client is then refused (boto3 too) for keys with '=',
'+' or '%' (Iceberg's partition directories "day=...") and for any listing with a '/' in its
prefix. This re-encodes path and query as SigV4 requires (RFC 3986 unreserved characters kept,
'/' kept in the path only) before moto compares signatures; everything else, including a wrong
secret being refused, stays moto's own check."""
import sys
from urllib.parse import quote, unquote, urlsplit, urlunsplit

from moto.iam import access_control


def _sigv4_url(url):
    parts = urlsplit(url)
    path = quote(unquote(parts.path), safe="/~")
    pairs = []
    for pair in parts.query.split("&") if parts.query else []:
        key, _, value = pair.partition("=")
        pairs.append("%s=%s" % (quote(unquote(key), safe="~"), quote(unquote(value), safe="~")))
    return urlunsplit((parts.scheme, parts.netloc, path, "&".join(pairs), parts.fragment))


_original = access_control.S3IAMRequest._create_aws_request


def _create_aws_request(self):
    request = _original(self)
    request.url = _sigv4_url(request.url)
    return request


access_control.S3IAMRequest._create_aws_request = _create_aws_request

if __name__ == "__main__":
    from moto.server import main

    sys.exit(main(sys.argv[1:]))
