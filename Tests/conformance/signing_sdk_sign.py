"""Signs request descriptions with the official alibabacloud-oss-v2 SDK signers (V4 and V1) at a fixed time.

Usage: signing_sdk_sign.py INPUT.json OUTPUT.json

INPUT is {"v1_subresources": [...], "cases": [case, ...]} where a case is
  {"method", "bucket" (or null), "key" (or null), "query": [[name, value-or-null], ...] (decoded),
   "headers": [[name, value], ...], "access_key_id", "access_key_secret", "security_token" (or null),
   "time" (Unix seconds), "region", "product", "additional_headers": [...],
   "presign_expires" (seconds, or null to skip presigning)}
OUTPUT is {"sdk_v1_subresources": [...], "results": [{"v4": ..., "v4_string_to_sign": ...,
  "v1": ..., "v1_string_to_sign": ..., "v4_presign_signature": ... or null, "v1_presign_signature": ... or null},
  ...]} in case order. Presigning cases must have unique query names (the SDK keeps the query in a dict).

How the SDK is driven (signer internals in alibabacloud_oss_v2/signer/v4.py and v1.py):
- The query is put on the URL RFC 3986-encoded (quote(..., safe='')); a null value gives a bare name.
- signing_time fixes the clock; the SDK sets x-oss-date/Date itself.
- V1 only: the SDK's header signer sends an STS token as the unsigned header `security-token`, whereas OSS (and
  the Go v2 SDK) expect the signed `x-oss-security-token`. The token header is therefore put on the request
  before signing, as the Go SDK does. Query names that our sub-resource list has but the SDK's does not (and any
  `x-oss-*` name, which the Go SDK signs) are passed through the SDK's own `sub_resource` extension point.
"""
import datetime
import json
import sys
from urllib.parse import quote, unquote, urlsplit

from alibabacloud_oss_v2.signer import SignerV1, SignerV4
from alibabacloud_oss_v2.types import Credentials, HttpRequest, SigningContext


def build_url(case):
    host = "service.oss.example.com"
    if case["bucket"] is not None:
        host = case["bucket"] + "." + host
    path = "/" + quote(case["key"], safe="/") if case["key"] is not None else "/"
    pairs = []
    for name, value in case["query"]:
        encoded = quote(name, safe="")
        if value is not None:
            encoded += "=" + quote(value, safe="")
        pairs.append(encoded)
    return "https://" + host + path + ("?" + "&".join(pairs) if pairs else "")


def signing_time(case):
    return datetime.datetime.fromtimestamp(case["time"], tz=datetime.timezone.utc)


def sign_v4(case):
    request = HttpRequest(case["method"], build_url(case), headers=dict(case["headers"]))
    context = SigningContext(
        product=case["product"],
        region=case["region"],
        bucket=case["bucket"],
        key=case["key"],
        request=request,
        credentials=Credentials(case["access_key_id"], case["access_key_secret"], case["security_token"]),
        signing_time=signing_time(case),
        additional_headers=set(case["additional_headers"]) if case["additional_headers"] else None,
    )
    SignerV4().sign(context)
    return request.headers["Authorization"], context.string_to_sign


def sign_v1(case, our_subresources):
    headers = dict(case["headers"])
    if case["security_token"]:
        headers["x-oss-security-token"] = case["security_token"]
    request = HttpRequest(case["method"], build_url(case), headers=headers)
    context = SigningContext(
        bucket=case["bucket"],
        key=case["key"],
        request=request,
        credentials=Credentials(case["access_key_id"], case["access_key_secret"], case["security_token"]),
        signing_time=signing_time(case),
    )
    context.sub_resource = extra_subresources(case, our_subresources)
    SignerV1().sign(context)
    return request.headers["Authorization"], context.string_to_sign


def query_value(url, name):
    for pair in urlsplit(url).query.split("&"):
        key, _, value = pair.partition("=")
        if unquote(key) == name:
            return unquote(value)
    return None


def presign_v4(case):
    request = HttpRequest(case["method"], build_url(case), headers=dict(case["headers"]))
    context = SigningContext(
        product=case["product"],
        region=case["region"],
        bucket=case["bucket"],
        key=case["key"],
        request=request,
        credentials=Credentials(case["access_key_id"], case["access_key_secret"], case["security_token"]),
        signing_time=signing_time(case),
        additional_headers=set(case["additional_headers"]) if case["additional_headers"] else None,
    )
    context.auth_method_query = True
    context.expiration_time = signing_time(case) + datetime.timedelta(seconds=case["presign_expires"])
    SignerV4().sign(context)
    return query_value(request.url, "x-oss-signature")


def presign_v1(case, our_subresources):
    request = HttpRequest(case["method"], build_url(case), headers=dict(case["headers"]))
    context = SigningContext(
        bucket=case["bucket"],
        key=case["key"],
        request=request,
        credentials=Credentials(case["access_key_id"], case["access_key_secret"], case["security_token"]),
        signing_time=signing_time(case),
    )
    context.auth_method_query = True
    context.expiration_time = signing_time(case) + datetime.timedelta(seconds=case["presign_expires"])
    context.sub_resource = extra_subresources(case, our_subresources)
    SignerV1().sign(context)
    return query_value(request.url, "Signature")


def extra_subresources(case, our_subresources):
    sdk_set = SignerV1._subresource_key_set
    return sorted(
        {
            name
            for name, _ in case["query"]
            if (name in our_subresources and name not in sdk_set) or name.startswith("x-oss-")
        }
    )


def sign_all(document):
    our_subresources = set(document.get("v1_subresources", []))
    results = []
    for case in document["cases"]:
        v4, v4_string = sign_v4(case)
        v1, v1_string = sign_v1(case, our_subresources)
        result = {"v4": v4, "v4_string_to_sign": v4_string, "v1": v1, "v1_string_to_sign": v1_string,
                  "v4_presign_signature": None, "v1_presign_signature": None}
        if case.get("presign_expires") is not None:
            result["v4_presign_signature"] = presign_v4(case)
            result["v1_presign_signature"] = presign_v1(case, our_subresources)
        results.append(result)
    return {"sdk_v1_subresources": sorted(SignerV1._subresource_key_set), "results": results}


def main(argv):
    if len(argv) != 3:
        sys.stderr.write("usage: signing_sdk_sign.py INPUT.json OUTPUT.json\n")
        return 2
    with open(argv[1], encoding="utf-8") as source:
        document = json.load(source)
    output = sign_all(document)
    with open(argv[2], "w", encoding="utf-8") as sink:
        json.dump(output, sink, ensure_ascii=False)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
