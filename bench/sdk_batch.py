"""The baseline of bench/throughput.py: a hand-written batch with the official OpenAI SDK.

    OPENAI_BASE_URL=http://127.0.0.1:8123/v1 OPENAI_API_KEY=sk-test-emulator \\
        python bench/sdk_batch.py --n 40 --concurrency 8 --out /tmp/sdk-out

What a typical script does: one `AsyncOpenAI` client, an `asyncio.Semaphore` of the
given concurrency, `client.images.generate(...)` per prompt, decode the base64 image and
write it as a PNG file. No provenance, no cache, no re-encoding, the SDK's default retries
(2, honouring Retry-After). The prompts are those of bench/common.py's synthetic site
("picture number I for Benchmark"), so both clients send the same jobs.
Needs the `bench` extra (`pip install -e '.[bench]'`, i.e. the `openai` package).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import sys
import time
from pathlib import Path


async def generate_all(prompts: list[str], out: Path, concurrency: int, model: str, size: str,
                       quality: str) -> int:
    from openai import AsyncOpenAI

    client = AsyncOpenAI()  # OPENAI_BASE_URL and OPENAI_API_KEY from the environment
    semaphore = asyncio.Semaphore(concurrency)
    out.mkdir(parents=True, exist_ok=True)
    failures = 0

    async def one(index: int, prompt: str) -> None:
        nonlocal failures
        async with semaphore:
            try:
                response = await client.images.generate(model=model, prompt=prompt, size=size,
                                                        quality=quality)  # type: ignore[arg-type]
            except Exception as exc:  # a batch script logs and goes on
                failures += 1
                print(f"a{index}: {type(exc).__name__}: {exc}", file=sys.stderr)
                return
        data = response.data[0].b64_json if response.data else None
        if not data:
            failures += 1
            print(f"a{index}: no image in the response", file=sys.stderr)
            return
        (out / f"a{index}.png").write_bytes(base64.b64decode(data))

    async with client:
        await asyncio.gather(*(one(i, p) for i, p in enumerate(prompts)))
    return failures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=40, help="images to generate (default 40)")
    parser.add_argument("--concurrency", type=int, default=8, help="semaphore size (default 8)")
    parser.add_argument("--out", type=Path, required=True, help="folder for the PNG files")
    parser.add_argument("--model", default="gpt-image-2")
    parser.add_argument("--size", default="1024x1024")
    parser.add_argument("--quality", default="low")
    args = parser.parse_args(argv)
    prompts = [f"picture number {i} for Benchmark" for i in range(args.n)]
    import openai  # noqa: F401 - imported before the clock starts (its import is ~0.5 s)

    started = time.perf_counter()
    failures = asyncio.run(generate_all(prompts, args.out, args.concurrency, args.model,
                                        args.size, args.quality))
    print(f"sdk_batch: {args.n - failures}/{args.n} images in "
          f"{time.perf_counter() - started:.3f}s (after imports)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
