"""A tiny client of `tokenize serve` (docs/serve.md).

Needs `requests` and `pyarrow` (pip install requests pyarrow):

    go run ./cmd/tokenize serve &
    python docs/clients/python/client.py --url http://127.0.0.1:8080 \
        --image fixtures/sample/images/elephant-660-480.jpg
"""

import argparse
import sys

import pyarrow as pa
import requests

ARROW = "application/vnd.apache.arrow.stream"


def check(resp: requests.Response) -> requests.Response:
    """Raise with the server's error code and message on a non-200 answer."""
    if resp.status_code != 200:
        err = resp.json().get("error", {})
        retry = resp.headers.get("Retry-After")
        raise RuntimeError(f"{resp.status_code} {err.get('code')}: {err.get('message')}"
                           + (f" (retry after {retry} s)" if retry else ""))
    return resp


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", default="http://127.0.0.1:8080")
    ap.add_argument("--image", help="an image file to tokenize")
    args = ap.parse_args()
    s = requests.Session()

    # Text -> ids (JSON).
    r = check(s.post(f"{args.url}/v1/tokenize", json={"text": "hello world", "encoding": "o200k_base"}))
    print("ids", r.json()["input_ids"], "num_tokens", r.json()["num_tokens"])

    # Count only.
    r = check(s.post(f"{args.url}/v1/count", params={"encoding": "cl100k_base"},
                     data="The quick brown fox jumps over the lazy dog.".encode(),
                     headers={"Content-Type": "text/plain; charset=utf-8"}))
    print("count", r.json()["num_tokens"])

    # Text -> one Arrow row, same schema as `tokenize run` files.
    r = check(s.post(f"{args.url}/v1/tokenize", json={"text": "hello world"}, headers={"Accept": ARROW}))
    table = pa.ipc.open_stream(r.content).read_all()
    print("arrow", table.column("input_ids").to_pylist(), table.schema.metadata[b"tokenfab"][:40])

    if args.image:
        # Image (multipart upload) -> patches and grid_thw as Arrow; numpy view of the patches.
        with open(args.image, "rb") as f:
            r = check(s.post(f"{args.url}/v1/tokenize", headers={"Accept": ARROW},
                             files={"file": ("image.jpg", f, "image/jpeg")},
                             data={"preset": "qwen2-vl"}))
        table = pa.ipc.open_stream(r.content).read_all()
        patches = table.column("patches")[0].values.flatten().to_numpy()
        dim = table.schema.field("patches").type.value_type.list_size
        print("grid_thw", table.column("grid_thw").to_pylist()[0],
              "num_tokens", table.column("num_tokens")[0].as_py(),
              "patches", patches.reshape(-1, dim).shape)
    return 0


if __name__ == "__main__":
    sys.exit(main())
