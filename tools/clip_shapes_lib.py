"""Shared code for tools/train_clip_shapes.py and tools/make_bench_models.py.

Contents:
  * CLIP BPE tokenizer (Python re-implementation of CLIP's SimpleTokenizer) and a
    writer for the Hugging Face `tokenizer.json` / `tokenizer_config.json`.
  * Procedural renderer for the shapes data set (coloured solid shapes on plain or
    noisy backgrounds, any image size / aspect ratio) and the "squash" preprocessing.
  * Small CLIP-style towers (text transformer with causal mask + EOT pooling, vision
    tower) and ONNX export helpers.

Only Debian's python3-torch / python3-numpy / python3-pil / python3-onnx /
python3-regex are needed.
"""
import gzip
import html
import json
import math
import os
import unicodedata
from functools import lru_cache

import numpy as np
import regex as re
from PIL import Image, ImageDraw, ImageFilter
import io

BPE_PATH = "/work/shared/data/clip/bpe_simple_vocab_16e6.txt.gz"
IMAGENET_JSON = "/work/shared/data/clip/imagenet.json"
SOT, EOT = 49406, 49407
VOCAB_SIZE = 49408
CONTEXT_LENGTH = 77
CLIP_MEAN = [0.48145466, 0.4578275, 0.40821073]
CLIP_STD = [0.26862954, 0.26130258, 0.27577711]

COLOURS = ["red", "orange", "yellow", "green", "blue", "purple"]
SHAPES = ["circle", "square", "triangle", "star", "cross"]


# ----------------------------------------------------------------------------------
# Tokenizer
# ----------------------------------------------------------------------------------
@lru_cache()
def bytes_to_unicode():
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(2 ** 8):
        if b not in bs:
            bs.append(b)
            cs.append(2 ** 8 + n)
            n += 1
    return dict(zip(bs, [chr(c) for c in cs]))


def load_merges(bpe_path=BPE_PATH):
    merges = gzip.open(bpe_path).read().decode("utf-8").split("\n")
    merges = merges[1:49152 - 256 - 2 + 1]
    return [tuple(m.split()) for m in merges]


def build_vocab(merges):
    vocab = list(bytes_to_unicode().values())
    vocab = vocab + [v + "</w>" for v in vocab]
    for m in merges:
        vocab.append("".join(m))
    vocab.extend(["<|startoftext|>", "<|endoftext|>"])
    assert len(vocab) == VOCAB_SIZE, len(vocab)
    return vocab


CLIP_SPLIT_REGEX = r"""'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+"""


class SimpleTokenizer:
    """Re-implementation of CLIP's SimpleTokenizer.

    Difference to the original: ftfy.fix_text is replaced by Unicode NFC normalisation
    (which is what the Hugging Face fast tokenizer / transformers.js do)."""

    def __init__(self, bpe_path=BPE_PATH):
        self.byte_encoder = bytes_to_unicode()
        self.byte_decoder = {v: k for k, v in self.byte_encoder.items()}
        merges = load_merges(bpe_path)
        self.merges = merges
        self.vocab = build_vocab(merges)
        self.encoder = {t: i for i, t in enumerate(self.vocab)}
        self.decoder = {i: t for t, i in self.encoder.items()}
        self.bpe_ranks = dict(zip(merges, range(len(merges))))
        self.cache = {"<|startoftext|>": "<|startoftext|>", "<|endoftext|>": "<|endoftext|>"}
        self.pat = re.compile(r"<\|startoftext\|>|<\|endoftext\|>|" + CLIP_SPLIT_REGEX, re.IGNORECASE)

    def bpe(self, token):
        if token in self.cache:
            return self.cache[token]
        word = tuple(token[:-1]) + (token[-1] + "</w>",)
        pairs = set(zip(word[:-1], word[1:]))
        if not pairs:
            return token + "</w>"
        while True:
            bigram = min(pairs, key=lambda p: self.bpe_ranks.get(p, float("inf")))
            if bigram not in self.bpe_ranks:
                break
            first, second = bigram
            new_word = []
            i = 0
            while i < len(word):
                try:
                    j = word.index(first, i)
                except ValueError:
                    new_word.extend(word[i:])
                    break
                new_word.extend(word[i:j])
                i = j
                if word[i] == first and i < len(word) - 1 and word[i + 1] == second:
                    new_word.append(first + second)
                    i += 2
                else:
                    new_word.append(word[i])
                    i += 1
            word = tuple(new_word)
            if len(word) == 1:
                break
            pairs = set(zip(word[:-1], word[1:]))
        out = " ".join(word)
        self.cache[token] = out
        return out

    @staticmethod
    def clean(text):
        text = unicodedata.normalize("NFC", text)
        text = html.unescape(html.unescape(text)).strip()
        text = re.sub(r"\s+", " ", text).strip()
        return text.lower()

    def encode(self, text):
        ids = []
        for token in re.findall(self.pat, self.clean(text)):
            token = "".join(self.byte_encoder[b] for b in token.encode("utf-8"))
            ids.extend(self.encoder[t] for t in self.bpe(token).split(" "))
        return ids

    def __call__(self, text):
        """ids with BOS/EOS, like the HF tokenizer (no padding / truncation)."""
        return [SOT] + self.encode(text) + [EOT]


def write_tokenizer_files(out_dir, bpe_path=BPE_PATH):
    merges = load_merges(bpe_path)
    vocab = build_vocab(merges)
    special = lambda i, c: {"id": i, "content": c, "single_word": False, "lstrip": False,
                            "rstrip": False, "normalized": True, "special": True}
    tok = {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": [special(SOT, "<|startoftext|>"), special(EOT, "<|endoftext|>")],
        "normalizer": {"type": "Sequence", "normalizers": [
            {"type": "NFC"},
            {"type": "Replace", "pattern": {"Regex": r"\s+"}, "content": " "},
            {"type": "Lowercase"},
        ]},
        "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
            {"type": "Split", "pattern": {"Regex": CLIP_SPLIT_REGEX}, "behavior": "Removed", "invert": True},
            {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": False},
        ]},
        "post_processor": {"type": "RobertaProcessing", "sep": ["<|endoftext|>", EOT],
                           "cls": ["<|startoftext|>", SOT], "trim_offsets": False, "add_prefix_space": False},
        "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
        "model": {
            "type": "BPE", "dropout": None, "unk_token": "<|endoftext|>", "continuing_subword_prefix": "",
            "end_of_word_suffix": "</w>", "fuse_unk": False, "byte_fallback": False,
            "vocab": {t: i for i, t in enumerate(vocab)},
            "merges": [" ".join(m) for m in merges],
        },
    }
    with open(os.path.join(out_dir, "tokenizer.json"), "w", encoding="utf-8") as f:
        json.dump(tok, f, ensure_ascii=False, separators=(",", ":"))
    added = lambda c: {"content": c, "lstrip": False, "normalized": True, "rstrip": False,
                       "single_word": False, "special": True}
    cfg = {
        "add_prefix_space": False,
        "added_tokens_decoder": {str(SOT): added("<|startoftext|>"), str(EOT): added("<|endoftext|>")},
        "bos_token": "<|startoftext|>",
        "clean_up_tokenization_spaces": True,
        "do_lower_case": True,
        "eos_token": "<|endoftext|>",
        "errors": "replace",
        "model_max_length": CONTEXT_LENGTH,
        "pad_token": "<|endoftext|>",
        "tokenizer_class": "CLIPTokenizer",
        "unk_token": "<|endoftext|>",
    }
    with open(os.path.join(out_dir, "tokenizer_config.json"), "w") as f:
        json.dump(cfg, f, indent=2)


def pad_batch(seqs, length=None):
    length = length or max(len(s) for s in seqs)
    out = np.full((len(seqs), length), EOT, dtype=np.int64)
    for i, s in enumerate(seqs):
        s = s[:length]
        if len(s) == length:
            s = s[:-1] + [EOT]
        out[i, :len(s)] = s
    return out


# ----------------------------------------------------------------------------------
# Captions
# ----------------------------------------------------------------------------------
def imagenet_templates():
    return json.load(open(IMAGENET_JSON))["templates"]


# subset of CLIP's ImageNet templates that make sense for a flat drawing
_IMAGENET_SUBSET = [
    "a bad photo of a {}.", "a rendering of a {}.", "a drawing of a {}.", "a photo of the {}.",
    "a close-up photo of a {}.", "a low resolution photo of a {}.", "a blurry photo of a {}.",
    "a pixelated photo of a {}.", "a cropped photo of a {}.", "a photo of one {}.", "a sketch of a {}.",
    "art of a {}.", "a jpeg corrupted photo of a {}.", "a bright photo of a {}.", "a dark photo of a {}.",
    "a photo of a small {}.", "a photo of a large {}.", "itap of a {}.", "a cartoon {}.", "a doodle of a {}.",
    "a {} in a video game.", "a good photo of a {}.", "a rendition of a {}.", "a painting of a {}.",
    "a photo of the small {}.", "a photo of the large {}.", "a photo of a nice {}.", "graffiti of a {}.",
]

# (template, kind) with kind in {"cs": colour+shape, "c": colour, "s": shape}
GENERIC = ["a photo of a {}.", "a {}", "{}", "a drawing of a {}", "a picture of a {}.", "an image of a {}.",
           "a photo of a {}"]
CS_TEMPLATES = GENERIC + ["a photo of a {c} {s}.", "a {c} {s}", "a drawing of a {c} {s}",
                          "a {c} {s} on a plain background", "a {s} that is {c}", "a {c} coloured {s}",
                          "a {c} colored {s}.", "a simple {c} {s}", "a flat {c} {s}.", "the {c} {s}"]
C_TEMPLATES = GENERIC + ["a {} shape", "a {} object", "a photo of a {} object.", "something {}",
                         "the colour {}", "the color {}", "a {} thing", "a photo of a {} shape.",
                         "{} colour", "a {} drawing"]
S_TEMPLATES = GENERIC + ["a {} shape", "a photo of a {} shape.", "the {}", "a simple {}", "a flat {}.",
                         "a {} on a plain background", "a coloured {}", "the shape of a {}"]


def all_templates():
    imn = [t for t in _IMAGENET_SUBSET if t in set(imagenet_templates())]
    return CS_TEMPLATES + imn, C_TEMPLATES + imn, S_TEMPLATES + imn


def fill(template, colour=None, shape=None):
    if "{c}" in template or "{s}" in template:
        return template.replace("{c}", colour).replace("{s}", shape)
    label = " ".join(x for x in (colour, shape) if x)
    return template.replace("{}", label)


def build_caption_table(tokenizer):
    """All captions used in training: list of (text, colour_idx or -1, shape_idx or -1)."""
    cs_t, c_t, s_t = all_templates()
    caps = []
    for t in cs_t:
        for ci, c in enumerate(COLOURS):
            for si, s in enumerate(SHAPES):
                caps.append((fill(t, c, s), ci, si, "cs"))
    for t in c_t:
        for ci, c in enumerate(COLOURS):
            caps.append((fill(t, colour=c), ci, -1, "c"))
    for t in s_t:
        for si, s in enumerate(SHAPES):
            caps.append((fill(t, shape=s), -1, si, "s"))
    # variants without the final period
    extra = []
    for text, ci, si, k in caps:
        if text.endswith("."):
            extra.append((text[:-1], ci, si, k))
    caps += extra
    ids = [tokenizer(t) for t, _, _, _ in caps]
    return caps, ids


# ----------------------------------------------------------------------------------
# Rendering
# ----------------------------------------------------------------------------------
COLOUR_HSV = {  # hue range (deg), sat range, val range
    "red": ((-10, 8), (0.7, 1.0), (0.65, 1.0)),
    "orange": ((20, 38), (0.75, 1.0), (0.85, 1.0)),
    "yellow": ((49, 62), (0.7, 1.0), (0.85, 1.0)),
    "green": ((95, 150), (0.6, 1.0), (0.45, 1.0)),
    "blue": ((202, 242), (0.6, 1.0), (0.6, 1.0)),
    "purple": ((268, 302), (0.5, 1.0), (0.45, 0.95)),
}
CSS_COLOURS = {
    "red": [(255, 0, 0), (220, 20, 60), (200, 0, 0), (178, 34, 34)],
    "orange": [(255, 165, 0), (255, 140, 0), (255, 127, 0), (255, 120, 20)],
    "yellow": [(255, 255, 0), (255, 215, 0), (250, 230, 30), (255, 235, 59)],
    "green": [(0, 128, 0), (0, 255, 0), (50, 205, 50), (34, 139, 34), (76, 175, 80)],
    "blue": [(0, 0, 255), (30, 144, 255), (65, 105, 225), (33, 150, 243), (0, 0, 205)],
    "purple": [(128, 0, 128), (160, 32, 240), (102, 51, 153), (148, 0, 211), (156, 39, 176)],
}


def hsv2rgb(h, s, v):
    h = (h % 360) / 60.0
    i = int(h) % 6
    f = h - int(h)
    p, q, t = v * (1 - s), v * (1 - s * f), v * (1 - s * (1 - f))
    r, g, b = [(v, t, p), (q, v, p), (p, v, t), (p, q, v), (t, p, v), (v, p, q)][i]
    return np.array([r, g, b]) * 255.0


def rgb2hsv(rgb):
    r, g, b = [x / 255.0 for x in rgb]
    mx, mn = max(r, g, b), min(r, g, b)
    d = mx - mn
    if d == 0:
        h = 0.0
    elif mx == r:
        h = 60 * (((g - b) / d) % 6)
    elif mx == g:
        h = 60 * ((b - r) / d + 2)
    else:
        h = 60 * ((r - g) / d + 4)
    return h, (0 if mx == 0 else d / mx), mx


def sample_shape_colour(rng, colour):
    if rng.random() < 0.25:
        lst = CSS_COLOURS[colour]
        return np.array(lst[rng.integers(len(lst))], dtype=np.float64)
    (h0, h1), (s0, s1), (v0, v1) = COLOUR_HSV[colour]
    return hsv2rgb(rng.uniform(h0, h1), rng.uniform(s0, s1), rng.uniform(v0, v1))


def _hue_dist(a, b):
    d = abs(a - b) % 360
    return min(d, 360 - d)


def sample_background_colour(rng, fg):
    fh, fs, fv = rgb2hsv(fg)
    for _ in range(100):
        kind = rng.random()
        if kind < 0.35:  # light
            c = hsv2rgb(rng.uniform(0, 360), rng.uniform(0, 0.22), rng.uniform(0.85, 1.0))
        elif kind < 0.55:  # dark
            c = hsv2rgb(rng.uniform(0, 360), rng.uniform(0, 0.6), rng.uniform(0.0, 0.25))
        elif kind < 0.75:  # grey
            c = hsv2rgb(0, 0, rng.uniform(0.2, 0.9))
        else:  # random colour, moderate saturation
            c = hsv2rgb(rng.uniform(0, 360), rng.uniform(0.0, 0.55), rng.uniform(0.2, 0.95))
        bh, bs, bv = rgb2hsv(c)
        if np.linalg.norm(c - fg) < 110:
            continue
        if bs > 0.3 and bv > 0.3 and _hue_dist(bh, fh) < 70:
            continue
        return c
    return np.array([255.0, 255.0, 255.0]) if fv < 0.7 else np.array([20.0, 20.0, 20.0])


def shape_polygon(shape, rng):
    """Unit-size shape (fits in [-1,1]^2 before rotation). Returns list of (x,y) or None for circle."""
    if shape == "circle":
        return None
    if shape == "square":
        pts = [(-1, -1), (1, -1), (1, 1), (-1, 1)]
    elif shape == "triangle":
        pts = [(0, -1), (math.sqrt(3) / 2, 0.5), (-math.sqrt(3) / 2, 0.5)]
    elif shape == "star":
        inner = rng.uniform(0.38, 0.5)
        pts = []
        for k in range(10):
            r = 1.0 if k % 2 == 0 else inner
            a = -math.pi / 2 + k * math.pi / 5
            pts.append((r * math.cos(a), r * math.sin(a)))
    elif shape == "cross":
        w = rng.uniform(0.28, 0.4)
        pts = [(-w, -1), (w, -1), (w, -w), (1, -w), (1, w), (w, w), (w, 1), (-w, 1), (-w, w), (-1, w),
               (-1, -w), (-w, -w)]
    else:
        raise ValueError(shape)
    return pts


def _image_size(rng):
    short = int(rng.choice([rng.integers(40, 128), rng.integers(128, 400)]))
    aspect = math.exp(rng.uniform(math.log(0.5), math.log(2.0)))
    if rng.random() < 0.2:
        aspect = 1.0
    if aspect >= 1:
        return int(round(short * aspect)), short
    return short, int(round(short / aspect))


def _background(rng, bg, W, H):
    noisy = rng.random() < 0.3
    if noisy:  # noisy background
        mode = rng.random()
        std = rng.uniform(8, 45)
        if mode < 0.5:
            noise = rng.standard_normal((H, W, 1 if rng.random() < 0.5 else 3), dtype=np.float32) * np.float32(std)
        else:  # blocky noise
            cell = int(rng.integers(2, 12))
            small = rng.normal(0, std, ((H + cell - 1) // cell, (W + cell - 1) // cell, 3)).astype(np.float32)
            noise = small.repeat(cell, 0).repeat(cell, 1)[:H, :W]
        return bg.astype(np.float32)[None, None, :] + noise
    return bg.astype(np.float32)[None, None, :]


def _shape_alpha(rng, shape, W, H, box=None, rot_range=(-20, 20), stroke=None):
    """Coverage (float32 HxWx1 in [0,1]) of one shape placed at random inside box = (x0, y0, x1, y1)
    (default: the whole image), size 30-90 % of the box's shorter side, rotation uniform in rot_range
    (degrees). stroke: None = filled; a float = outline only, line width = stroke x the shape's extent."""
    x0, y0, x1, y1 = box if box is not None else (0, 0, W, H)
    bw, bh = x1 - x0, y1 - y0
    ss = 4 if max(W, H) <= 160 else (3 if max(W, H) <= 260 else 2)
    short = min(bw, bh)
    frac = rng.uniform(0.3, 0.9)
    pts = shape_polygon(shape, rng)
    rot = math.radians(rng.uniform(*rot_range))
    if pts is None:
        r = frac * short / 2
        xs = np.array([-r, r])
        ys = np.array([-r, r])
        P = None
    else:
        P = np.array(pts, dtype=np.float64)
        ca, sa = math.cos(rot), math.sin(rot)
        P = P @ np.array([[ca, sa], [-sa, ca]])
        ext = max(P[:, 0].max() - P[:, 0].min(), P[:, 1].max() - P[:, 1].min())
        P = P * (frac * short / ext)
        xs, ys = P[:, 0], P[:, 1]
    cx = x0 + rng.uniform(-xs.min(), bw - xs.max())
    cy = y0 + rng.uniform(-ys.min(), bh - ys.max())
    mask = Image.new("L", (W * ss, H * ss), 0)
    d = ImageDraw.Draw(mask)
    if P is None:
        r = frac * short / 2
        d.ellipse([(cx - r) * ss, (cy - r) * ss, (cx + r) * ss, (cy + r) * ss], fill=255)
    else:
        d.polygon([((cx + x) * ss, (cy + y) * ss) for x, y in P], fill=255)
    if stroke is not None:  # keep a band of the given width inside the edge (Euclidean erosion)
        from scipy.ndimage import distance_transform_edt
        filled = np.asarray(mask) > 127
        inner = distance_transform_edt(filled) > max(1.0, stroke * frac * short * ss)
        mask = Image.fromarray(((filled & ~inner) * 255).astype(np.uint8))
    mask = mask.resize((W, H), Image.BOX)
    return np.asarray(mask, dtype=np.float32)[..., None] * np.float32(1 / 255.0)


def _composite(rng, back, fg, a, W, H):
    fgc = fg.astype(np.float32)[None, None, :]
    if rng.random() < 0.3:  # slight texture on the shape
        fgc = fgc + rng.standard_normal((H, W, 1), dtype=np.float32) * np.float32(rng.uniform(2, 12))
    img = back + (fgc - back) * a
    if img.shape[:2] != (H, W):
        img = np.broadcast_to(img, (H, W, 3))
    return img


def render_image(rng, colour_idx, shape_idx, size=None, rot_range=(-20, 20), stroke=None):
    """Render one full-size RGB image (uint8 HxWx3) with a shape of the given class.
    The defaults are the training distribution (rotation +-20 deg, filled); the held-out shift
    evaluation (tools/eval_clip_shapes_shift.py) passes other rotations / an outline stroke."""
    W, H = _image_size(rng) if size is None else size
    colour, shape = COLOURS[colour_idx], SHAPES[shape_idx]
    fg = sample_shape_colour(rng, colour)
    bg = sample_background_colour(rng, fg)
    back = _background(rng, bg, W, H)
    a = _shape_alpha(rng, shape, W, H, rot_range=rot_range, stroke=stroke)
    img = _composite(rng, back, fg, a, W, H)
    return np.clip(img + 0.5, 0, 255).astype(np.uint8)


def render_two(rng, a, b, size=None, rot_range=(-20, 20)):
    """Two shapes (classes a = (colour_idx, shape_idx), b likewise) side by side along the longer
    side of the image, each inside its own half, on one background that is not confusable with
    either colour (shift evaluation only, never in training)."""
    W, H = _image_size(rng) if size is None else size
    fgs = [sample_shape_colour(rng, COLOURS[c]) for c, _ in (a, b)]
    fh, _, _ = rgb2hsv(fgs[1])
    for _ in range(200):  # a background that suits the first colour and also the second
        bg = sample_background_colour(rng, fgs[0])
        bh, bs, bv = rgb2hsv(bg)
        if np.linalg.norm(bg - fgs[1]) >= 110 and not (bs > 0.3 and bv > 0.3 and _hue_dist(bh, fh) < 70):
            break
    back = _background(rng, bg, W, H)
    halves = [(0, 0, W // 2, H), (W // 2, 0, W, H)] if W >= H else [(0, 0, W, H // 2), (0, H // 2, W, H)]
    if rng.random() < 0.5:
        halves = halves[::-1]
    img = back
    for (c, s), fg, box in zip((a, b), fgs, halves):
        alpha = _shape_alpha(rng, SHAPES[s], W, H, box=box, rot_range=rot_range)
        img = _composite(rng, img, fg, alpha, W, H)
    return np.clip(img + 0.5, 0, 255).astype(np.uint8)


def naive_resize(arr, W, H, mode="bilinear"):
    """Resize without antialiasing (like canvas drawImage with low smoothing / sharp affine)."""
    h, w = arr.shape[:2]
    x = (np.arange(W) + 0.5) * (w / W) - 0.5
    y = (np.arange(H) + 0.5) * (h / H) - 0.5
    if mode == "nearest":
        xi = np.clip(np.floor((np.arange(W) + 0.5) * (w / W)).astype(int), 0, w - 1)
        yi = np.clip(np.floor((np.arange(H) + 0.5) * (h / H)).astype(int), 0, h - 1)
        return arr[yi][:, xi]
    x = np.clip(x, 0, w - 1)
    y = np.clip(y, 0, h - 1)
    x0 = np.floor(x).astype(int)
    y0 = np.floor(y).astype(int)
    x1 = np.minimum(x0 + 1, w - 1)
    y1 = np.minimum(y0 + 1, h - 1)
    fx = (x - x0)[None, :, None]
    fy = (y - y0)[:, None, None]
    a = arr.astype(np.float64)
    top = a[y0][:, x0] * (1 - fx) + a[y0][:, x1] * fx
    bot = a[y1][:, x0] * (1 - fx) + a[y1][:, x1] * fx
    return np.clip(np.round(top * (1 - fy) + bot * fy), 0, 255).astype(np.uint8)


def squash_train(rng, arr, size):
    """Random degradations + squash to size x size (training augmentation)."""
    img = Image.fromarray(arr)
    u = rng.random()
    if u < 0.25:  # JPEG at the original resolution
        buf = io.BytesIO()
        img.save(buf, format="JPEG", quality=int(rng.integers(35, 95)))
        buf.seek(0)
        img = Image.open(buf).convert("RGB")
    elif u < 0.35:
        img = img.filter(ImageFilter.GaussianBlur(rng.uniform(0.3, 1.5)))
    m = rng.random()
    if m < 0.3:
        out = naive_resize(np.asarray(img), size, size, "bilinear")
    elif m < 0.45:
        out = naive_resize(np.asarray(img), size, size, "nearest")
    else:
        f = [Image.BILINEAR, Image.BICUBIC, Image.BOX, Image.LANCZOS, Image.NEAREST][int(rng.integers(5))]
        out = np.asarray(img.resize((size, size), f))
    if rng.random() < 0.15:  # JPEG after resize
        buf = io.BytesIO()
        Image.fromarray(out).save(buf, format="JPEG", quality=int(rng.integers(50, 95)))
        buf.seek(0)
        out = np.asarray(Image.open(buf).convert("RGB"))
    return out


def squash_eval(arr, size):
    """Deterministic preprocessing = HF CLIPImageProcessor(do_center_crop=False, resample=bilinear)."""
    return np.asarray(Image.fromarray(arr).resize((size, size), Image.BILINEAR))


def normalise(batch_uint8):
    """uint8 [N,H,W,3] -> float32 [N,3,H,W] normalised with CLIP mean/std."""
    x = batch_uint8.astype(np.float32) * np.float32(1 / 255.0)
    x = (x - np.array(CLIP_MEAN, np.float32)) / np.array(CLIP_STD, np.float32)
    return np.ascontiguousarray(x.transpose(0, 3, 1, 2))


def gen_chunk(args):
    """Worker: (seed, n, size[, shift]) -> (uint8 [n,size,size,3], colour idx, shape idx).
    shift = (p_any_rotation, p_outline): that share of the pictures rotated uniformly in 0-360 deg /
    drawn unfilled (line width 4-20 % of the shape size); without it, the original training data."""
    seed, n, size = args[:3]
    shift = args[3] if len(args) > 3 else None
    rng = np.random.default_rng(seed)
    imgs = np.zeros((n, size, size, 3), np.uint8)
    cols = rng.integers(0, len(COLOURS), n)
    shps = rng.integers(0, len(SHAPES), n)
    for i in range(n):
        kw = {}
        if shift:
            if rng.random() < shift[0]:
                kw["rot_range"] = (0, 360)
            if rng.random() < shift[1]:
                kw["stroke"] = rng.uniform(0.04, 0.2)
        arr = render_image(rng, int(cols[i]), int(shps[i]), **kw)
        imgs[i] = squash_train(rng, arr, size)
    return imgs, cols, shps


# ----------------------------------------------------------------------------------
# Model
# ----------------------------------------------------------------------------------
import torch
import torch.nn as nn
import torch.nn.functional as F


class Attention(nn.Module):
    def __init__(self, width, heads):
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(width, 3 * width)
        self.out = nn.Linear(width, width)

    def forward(self, x, mask=None):
        B, L, W = x.shape
        h = self.heads
        qkv = self.qkv(x).reshape(B, L, 3, h, W // h).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]
        att = (q @ k.transpose(-2, -1)) * ((W // h) ** -0.5)
        if mask is not None:
            att = att + mask
        att = att.softmax(dim=-1)
        y = (att @ v).transpose(1, 2).reshape(B, L, W)
        return self.out(y)


class Block(nn.Module):
    def __init__(self, width, heads, mlp_ratio=4):
        super().__init__()
        self.ln_1 = nn.LayerNorm(width)
        self.attn = Attention(width, heads)
        self.ln_2 = nn.LayerNorm(width)
        self.mlp = nn.Sequential(nn.Linear(width, width * mlp_ratio), nn.GELU(), nn.Linear(width * mlp_ratio, width))

    def forward(self, x, mask=None):
        x = x + self.attn(self.ln_1(x), mask)
        return x + self.mlp(self.ln_2(x))


class TextTower(nn.Module):
    """CLIP text transformer: causal mask, pooled at the first EOT (argmax of ids)."""

    def __init__(self, width=128, layers=2, heads=4, embed_dim=128, vocab=VOCAB_SIZE, ctx=CONTEXT_LENGTH,
                 factor_dim=32, mlp_ratio=4):
        super().__init__()
        if factor_dim:
            self.token_embedding = nn.Embedding(vocab, factor_dim)
            self.token_up = nn.Linear(factor_dim, width, bias=False)
        else:
            self.token_embedding = nn.Embedding(vocab, width)
            self.token_up = None
        self.positional_embedding = nn.Parameter(torch.randn(ctx, width) * 0.01)
        self.blocks = nn.ModuleList([Block(width, heads, mlp_ratio) for _ in range(layers)])
        self.ln_final = nn.LayerNorm(width)
        self.text_projection = nn.Linear(width, embed_dim, bias=False)
        mask = torch.full((ctx, ctx), float("-inf")).triu(1)
        self.register_buffer("causal_mask", mask, persistent=False)
        nn.init.normal_(self.token_embedding.weight, std=0.02)

    def forward(self, input_ids, attention_mask=None):
        L = input_ids.shape[1]
        x = self.token_embedding(input_ids)
        if self.token_up is not None:
            x = self.token_up(x)
        x = x + self.positional_embedding[:L]
        mask = self.causal_mask[:L, :L]
        if attention_mask is not None:
            # key padding mask. Padding only follows the first EOT, which (causal mask) never
            # attends to it, so this does not change the pooled output.
            pad = (1.0 - attention_mask.to(x.dtype))[:, None, None, :] * -1e9
            mask = mask[None, None] + pad
        for blk in self.blocks:
            x = blk(x, mask)
        x = self.ln_final(x)
        idx = input_ids.argmax(dim=-1)
        idx = idx.reshape(-1, 1, 1).expand(-1, 1, x.shape[-1])
        pooled = x.gather(1, idx).squeeze(1)
        return self.text_projection(pooled)


def add_bg_diff(x, border=2):
    """Append a 4th channel: distance of each pixel from the mean colour of the image border
    (an estimate of the background colour). Gives the vision tower a figure/ground cue."""
    top, bot = x[:, :, :border, :], x[:, :, -border:, :]
    left, right = x[:, :, :, :border], x[:, :, :, -border:]
    bg = (top.mean(dim=(2, 3)) + bot.mean(dim=(2, 3)) + left.mean(dim=(2, 3)) + right.mean(dim=(2, 3))) * 0.25
    d = (x - bg[:, :, None, None]).pow(2).sum(dim=1, keepdim=True).sqrt()
    return torch.cat([x, d], dim=1)


class VisionTower(nn.Module):
    """Vision transformer with either CLIP's patchify conv ("patch") or a small conv stem
    ("conv": 3 stride-2 3x3 convs with BatchNorm+GELU and a 1x1 conv, overall stride 8), class token, ln_pre/ln_post, projection."""

    def __init__(self, image_size=64, patch_size=8, width=128, layers=2, heads=4, embed_dim=128, stem="conv",
                 mlp_ratio=4, bg_diff=False):
        super().__init__()
        self.stem_type = stem
        self.bg_diff = bg_diff
        cin = 4 if bg_diff else 3
        if stem == "conv":
            assert patch_size == 8
            c1, c2 = max(16, width // 4), max(32, width // 2)
            self.stem = nn.Sequential(
                nn.Conv2d(cin, c1, 3, 2, 1), nn.BatchNorm2d(c1), nn.GELU(),
                nn.Conv2d(c1, c2, 3, 2, 1), nn.BatchNorm2d(c2), nn.GELU(),
                nn.Conv2d(c2, width, 3, 2, 1), nn.BatchNorm2d(width), nn.GELU(),
                nn.Conv2d(width, width, 1),
            )
        elif stem == "conv2":  # deeper: two 3x3 convs per stage
            assert patch_size == 8
            c1, c2 = max(16, width // 4), max(32, width // 2)
            cbg = lambda i, o, s: [nn.Conv2d(i, o, 3, s, 1), nn.BatchNorm2d(o), nn.GELU()]
            self.stem = nn.Sequential(*cbg(cin, c1, 2), *cbg(c1, c1, 1), *cbg(c1, c2, 2), *cbg(c2, c2, 1),
                                      *cbg(c2, width, 2), *cbg(width, width, 1), nn.Conv2d(width, width, 1))
        else:
            self.stem = nn.Conv2d(cin, width, patch_size, patch_size, bias=False)
        n = (image_size // patch_size) ** 2
        self.class_embedding = nn.Parameter(torch.randn(width) * width ** -0.5)
        self.positional_embedding = nn.Parameter(torch.randn(n + 1, width) * width ** -0.5)
        self.ln_pre = nn.LayerNorm(width)
        self.blocks = nn.ModuleList([Block(width, heads, mlp_ratio) for _ in range(layers)])
        self.ln_post = nn.LayerNorm(width)
        self.proj = nn.Linear(width, embed_dim, bias=False)

    def forward(self, pixel_values):
        if self.bg_diff:
            pixel_values = add_bg_diff(pixel_values)
        x = self.stem(pixel_values)  # B, W, h, w
        x = x.flatten(2).transpose(1, 2)  # B, n, W
        cls = self.class_embedding.reshape(1, 1, -1).expand(x.shape[0], 1, -1)
        x = torch.cat([cls, x], dim=1) + self.positional_embedding
        x = self.ln_pre(x)
        for blk in self.blocks:
            x = blk(x)
        return self.proj(self.ln_post(x[:, 0]))


class CombinedCLIP(nn.Module):
    """HF/Xenova-style combined CLIP graph: outputs logits_per_image, logits_per_text,
    text_embeds, image_embeds (embeds L2-normalised, as in HF CLIPModel)."""

    def __init__(self, text, vision, logit_scale=100.0):
        super().__init__()
        self.text, self.vision = text, vision
        self.logit_scale = logit_scale

    def forward(self, input_ids, attention_mask, pixel_values):
        t = self.text(input_ids, attention_mask)
        v = self.vision(pixel_values)
        t = t / t.norm(dim=-1, keepdim=True)
        v = v / v.norm(dim=-1, keepdim=True)
        logits_per_text = self.logit_scale * (t @ v.t())
        return logits_per_text.t(), logits_per_text, t, v


def export_text(model, path, opset=14):
    model.eval()
    ids = torch.tensor([[SOT, 320, 1125, 539, 320, EOT, EOT], [SOT, 320, 1125, 539, 320, 2368, EOT]])
    torch.onnx.export(model, (ids,), path, input_names=["input_ids"], output_names=["text_embeds"],
                      dynamic_axes={"input_ids": {0: "batch_size", 1: "sequence_length"},
                                    "text_embeds": {0: "batch_size"}},
                      opset_version=opset, do_constant_folding=True)


def export_vision(model, path, image_size, opset=14):
    model.eval()
    x = torch.randn(2, 3, image_size, image_size)
    torch.onnx.export(model, (x,), path, input_names=["pixel_values"], output_names=["image_embeds"],
                      dynamic_axes={"pixel_values": {0: "batch_size"}, "image_embeds": {0: "batch_size"}},
                      opset_version=opset, do_constant_folding=True)


def export_combined(model, path, image_size, opset=14):
    model.eval()
    ids = torch.tensor([[SOT, 320, 1125, 539, 320, EOT, EOT], [SOT, 320, 1125, 539, 320, 2368, EOT]])
    am = torch.tensor([[1, 1, 1, 1, 1, 1, 0], [1, 1, 1, 1, 1, 1, 1]])
    x = torch.randn(3, 3, image_size, image_size)
    torch.onnx.export(
        model, (ids, am, x), path,
        input_names=["input_ids", "attention_mask", "pixel_values"],
        output_names=["logits_per_image", "logits_per_text", "text_embeds", "image_embeds"],
        dynamic_axes={"input_ids": {0: "text_batch_size", 1: "sequence_length"},
                      "attention_mask": {0: "text_batch_size", 1: "sequence_length"},
                      "pixel_values": {0: "image_batch_size"},
                      "logits_per_image": {0: "image_batch_size", 1: "text_batch_size"},
                      "logits_per_text": {0: "text_batch_size", 1: "image_batch_size"},
                      "text_embeds": {0: "text_batch_size"}, "image_embeds": {0: "image_batch_size"}},
        opset_version=opset, do_constant_folding=True)


class BgDiff(nn.Module):
    def forward(self, x):
        return add_bg_diff(x)
