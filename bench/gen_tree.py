#!/usr/bin/env python3
"""Writes the packaging benchmark's input: a tree of about 50 MB in a few thousand files,
mixed like a real Lambda bundle (source and text that compress about 4x, and binaries and
media that do not). Seeded, so every run packages the same bytes."""
import os
import random
import sys

root = sys.argv[1]
rng = random.Random(20261126)
words = [
    "def", "return", "import", "class", "self", "if", "else", "for", "in", "while", "async",
    "await", "const", "let", "function", "export", "module", "require", "true", "false",
    "null", "None", "value", "result", "handler", "event", "context", "request", "response",
    "order", "item", "queue", "table", "error", "message", "status", "data", "config",
]
total = 0
for i in range(2600):
    directory = os.path.join(root, f"pkg{i % 40:02d}", f"mod{i % 7}")
    os.makedirs(directory, exist_ok=True)
    size = rng.randint(2_000, 20_000)
    lines = []
    length = 0
    while length < size:
        line = " " * (4 * rng.randint(0, 3)) + " ".join(rng.choice(words) for _ in range(rng.randint(3, 12)))
        lines.append(line)
        length += len(line) + 1
    text = "\n".join(lines) + "\n"
    with open(os.path.join(directory, f"file{i}.py"), "w") as f:
        f.write(text)
    total += len(text)
for i in range(400):
    directory = os.path.join(root, "assets", f"set{i % 10}")
    os.makedirs(directory, exist_ok=True)
    data = rng.randbytes(rng.randint(20_000, 80_000))
    with open(os.path.join(directory, f"blob{i}.bin"), "wb") as f:
        f.write(data)
    total += len(data)
with open(os.path.join(root, "bootstrap"), "w") as f:
    f.write("#!/bin/sh\nexec python3 -m app\n")
os.chmod(os.path.join(root, "bootstrap"), 0o755)
print(f"{total / 1024 / 1024:.1f} MB in 3001 files")
