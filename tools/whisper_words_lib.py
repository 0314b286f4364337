"""Shared code for tools/train_whisper_words.py and tools/make_bench_whisper.py.

Contents:
  * Whisper multilingual tokenizer: a direct tiktoken-style BPE over the rank file
    (/work/shared/data/whisper/multilingual.tiktoken, never copied) and a writer for the
    Hugging Face `tokenizer.json` / `tokenizer_config.json` (byte-level BPE, merges recovered
    from the ranks = the standard tiktoken -> HF conversion, Whisper's special tokens with
    their real ids).
  * Log-mel front end in numpy, identical to transformers.js's WhisperFeatureExtractor
    (80 bins, 16 kHz, 30 s window zero-padded, n_fft 400, hop 160, periodic Hann, reflect
    centre padding, log10 with 1e-10 floor, max-8 clamp, (x+4)/4, 3000 frames); it can also
    return only the first N frames (exactly equal to the first N frames of the full 3000 as
    long as the audio ends before frame N).
  * espeak-ng speech synthesis + noise / room / microphone augmentation.
  * Whisper-architecture model (conv stem, sinusoidal positions, pre-LN encoder, decoder with
    learned positions, causal self-attention + cross-attention, tied output embedding,
    optionally factorised) and the ONNX export in the transformers.js layout
    (onnx/encoder_model.onnx, onnx/decoder_model_merged.onnx) + config files.

Only Debian's python3-torch / python3-numpy / python3-scipy / python3-onnx / python3-regex and
the espeak-ng binary are needed.
"""
import base64
import io
import json
import math
import os
import subprocess
import wave
from functools import lru_cache

import numpy as np
import regex as re

TIKTOKEN_PATH = "/work/shared/data/whisper/multilingual.tiktoken"
MEL_PATH = "/work/shared/data/whisper/mel_filters.npz"

SAMPLE_RATE = 16000
N_FFT = 400
HOP = 160
CHUNK_LENGTH = 30
N_SAMPLES = CHUNK_LENGTH * SAMPLE_RATE  # 480000
N_FRAMES = N_SAMPLES // HOP  # 3000
N_MELS = 80

# Whisper's LANGUAGES (tokenizer.py) in order; the multilingual vocabulary of the original
# (non large-v3) models has the first 99 of them (no "yue").
LANGUAGES = [
    ("en", "english"), ("zh", "chinese"), ("de", "german"), ("es", "spanish"), ("ru", "russian"),
    ("ko", "korean"), ("fr", "french"), ("ja", "japanese"), ("pt", "portuguese"), ("tr", "turkish"),
    ("pl", "polish"), ("ca", "catalan"), ("nl", "dutch"), ("ar", "arabic"), ("sv", "swedish"),
    ("it", "italian"), ("id", "indonesian"), ("hi", "hindi"), ("fi", "finnish"), ("vi", "vietnamese"),
    ("he", "hebrew"), ("uk", "ukrainian"), ("el", "greek"), ("ms", "malay"), ("cs", "czech"),
    ("ro", "romanian"), ("da", "danish"), ("hu", "hungarian"), ("ta", "tamil"), ("no", "norwegian"),
    ("th", "thai"), ("ur", "urdu"), ("hr", "croatian"), ("bg", "bulgarian"), ("lt", "lithuanian"),
    ("la", "latin"), ("mi", "maori"), ("ml", "malayalam"), ("cy", "welsh"), ("sk", "slovak"),
    ("te", "telugu"), ("fa", "persian"), ("lv", "latvian"), ("bn", "bengali"), ("sr", "serbian"),
    ("az", "azerbaijani"), ("sl", "slovenian"), ("kn", "kannada"), ("et", "estonian"), ("mk", "macedonian"),
    ("br", "breton"), ("eu", "basque"), ("is", "icelandic"), ("hy", "armenian"), ("ne", "nepali"),
    ("mn", "mongolian"), ("bs", "bosnian"), ("kk", "kazakh"), ("sq", "albanian"), ("sw", "swahili"),
    ("gl", "galician"), ("mr", "marathi"), ("pa", "punjabi"), ("si", "sinhala"), ("km", "khmer"),
    ("sn", "shona"), ("yo", "yoruba"), ("so", "somali"), ("af", "afrikaans"), ("oc", "occitan"),
    ("ka", "georgian"), ("be", "belarusian"), ("tg", "tajik"), ("sd", "sindhi"), ("gu", "gujarati"),
    ("am", "amharic"), ("yi", "yiddish"), ("lo", "lao"), ("uz", "uzbek"), ("fo", "faroese"),
    ("ht", "haitian creole"), ("ps", "pashto"), ("tk", "turkmen"), ("nn", "nynorsk"), ("mt", "maltese"),
    ("sa", "sanskrit"), ("lb", "luxembourgish"), ("my", "myanmar"), ("bo", "tibetan"), ("tl", "tagalog"),
    ("mg", "malagasy"), ("as", "assamese"), ("tt", "tatar"), ("haw", "hawaiian"), ("ln", "lingala"),
    ("ha", "hausa"), ("ba", "bashkir"), ("jw", "javanese"), ("su", "sundanese"),
]
assert len(LANGUAGES) == 99

N_BASE_TOKENS = 50257  # byte-level BPE tokens in multilingual.tiktoken (ranks 0..50256)
EOT = 50257  # <|endoftext|>
SOT = 50258  # <|startoftranscript|>
LANG_IDS = {f"<|{c}|>": SOT + 1 + i for i, (c, _) in enumerate(LANGUAGES)}  # 50259..50357
EN = LANG_IDS["<|en|>"]  # 50259
TRANSLATE = SOT + 1 + len(LANGUAGES)  # 50358
TRANSCRIBE = TRANSLATE + 1  # 50359
STARTOFLM = TRANSLATE + 2  # 50360
STARTOFPREV = TRANSLATE + 3  # 50361
NOCAPTIONS = TRANSLATE + 4  # 50362 (<|nospeech|> in openai-whisper, <|nocaptions|> in HF)
NOTIMESTAMPS = TRANSLATE + 5  # 50363
TIMESTAMP_BEGIN = NOTIMESTAMPS + 1  # 50364 = <|0.00|>
N_TIMESTAMPS = 1501  # <|0.00|> .. <|30.00|>
VOCAB_SIZE = TIMESTAMP_BEGIN + N_TIMESTAMPS  # 51865
assert (EN, TRANSCRIBE, NOTIMESTAMPS, VOCAB_SIZE) == (50259, 50359, 50363, 51865)
PROMPT = [SOT, EN, TRANSCRIBE, NOTIMESTAMPS]

# GPT-2 / Whisper pre-tokenisation regex (tiktoken pat_str of Whisper's encodings)
SPLIT_REGEX = r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"""

def non_speech_tokens(tok=None):
    """Whisper's tokenizer.non_speech_tokens (symbols / speaker tags), computed with the BPE."""
    tok = tok or TiktokenBPE()
    symbols = list("\"#()*+/:;<=>@[\\]^_`{|}~「」『』")
    symbols += "<< >> <<< >>> -- --- -( -[ (' (\" (( )) ((( ))) [[ ]] {{ }} ♪♪ ♪♪♪".split()
    misc = set("♩♪♫♬♭♮♯")
    result = {tok.encode(" -")[0], tok.encode(" '")[0]}
    for sym in symbols + sorted(misc):
        for t in [tok.encode(sym), tok.encode(" " + sym)]:
            if len(t) == 1 or sym in misc:
                result.add(t[0])
    return sorted(result)


def suppress_tokens():
    """generation_config.suppress_tokens as in openai/whisper-* (non-speech tokens + task tokens)."""
    return non_speech_tokens() + [SOT, TRANSLATE, TRANSCRIBE, STARTOFLM, STARTOFPREV, NOCAPTIONS]


def special_tokens():
    """[(id, content, special)] for ids 50257..51864 (timestamps are not 'special', as in HF)."""
    out = [(EOT, "<|endoftext|>", True), (SOT, "<|startoftranscript|>", True)]
    out += [(i, t, True) for t, i in LANG_IDS.items()]
    out += [(TRANSLATE, "<|translate|>", True), (TRANSCRIBE, "<|transcribe|>", True),
            (STARTOFLM, "<|startoflm|>", True), (STARTOFPREV, "<|startofprev|>", True),
            (NOCAPTIONS, "<|nocaptions|>", True), (NOTIMESTAMPS, "<|notimestamps|>", True)]
    out += [(TIMESTAMP_BEGIN + i, f"<|{i * 0.02:.2f}|>", False) for i in range(N_TIMESTAMPS)]
    assert [x[0] for x in out] == list(range(EOT, VOCAB_SIZE))
    return out


# GPT-2's byte-to-unicode table, the same for CLIP's and Whisper's byte-level BPE.
from clip_shapes_lib import bytes_to_unicode  # noqa: E402


def to_unicode(b):
    enc = bytes_to_unicode()
    return "".join(enc[x] for x in b)


@lru_cache()
def load_ranks(path=TIKTOKEN_PATH):
    ranks = {}
    with open(path, "rb") as f:
        for line in f:
            if not line.strip():
                continue
            tok, r = line.split()
            ranks[base64.b64decode(tok)] = int(r)
    assert len(ranks) == N_BASE_TOKENS and sorted(ranks.values()) == list(range(N_BASE_TOKENS))
    return ranks


def _bpe_merge(ranks, piece, max_rank=None):
    """tiktoken's byte-pair merge: repeatedly merge the adjacent pair whose concatenation has the
    lowest rank (stop at max_rank). Returns the list of byte parts."""
    parts = [bytes([b]) for b in piece]
    while len(parts) > 1:
        best, bi = None, -1
        for i in range(len(parts) - 1):
            r = ranks.get(parts[i] + parts[i + 1])
            if r is not None and (best is None or r < best):
                best, bi = r, i
        if best is None or (max_rank is not None and best >= max_rank):
            break
        parts = parts[:bi] + [parts[bi] + parts[bi + 1]] + parts[bi + 2:]
    return parts


class TiktokenBPE:
    """Whisper's tokenizer computed directly from the tiktoken ranks (reference for the
    tokenizer.json check). encode() returns plain text tokens (no special tokens)."""

    def __init__(self, path=TIKTOKEN_PATH):
        self.ranks = load_ranks(path)
        self.inv = {r: b for b, r in self.ranks.items()}
        self.pat = re.compile(SPLIT_REGEX)
        self.special = {i: c for i, c, _ in special_tokens()}
        self.cache = {}

    def encode(self, text):
        ids = []
        for piece in self.pat.findall(text):
            b = piece.encode("utf-8")
            if b in self.ranks:
                ids.append(self.ranks[b])
                continue
            if b not in self.cache:
                self.cache[b] = [self.ranks[p] for p in _bpe_merge(self.ranks, b)]
            ids.extend(self.cache[b])
        return ids

    def decode(self, ids, skip_special=True):
        out, buf = [], b""
        for i in ids:
            if i in self.inv:
                buf += self.inv[i]
            else:
                out.append(buf.decode("utf-8", errors="replace"))
                buf = b""
                if not skip_special:
                    out.append(self.special[i])
        out.append(buf.decode("utf-8", errors="replace"))
        return "".join(out)


def recover_merges(ranks):
    """Standard tiktoken -> HF conversion: for every multi-byte token (in rank order) the pair of
    parts obtained by running the BPE with only lower-ranked tokens."""
    merges = []
    for tok, rank in sorted(ranks.items(), key=lambda kv: kv[1]):
        if len(tok) <= 1:  # single bytes; rank 50256 is an empty placeholder (GPT-2's <|endoftext|> slot)
            continue
        parts = _bpe_merge(ranks, tok, max_rank=rank)
        assert len(parts) == 2, (tok, parts)
        merges.append((to_unicode(parts[0]), to_unicode(parts[1])))
    return merges


def write_tokenizer_files(out_dir, model_max_length=448):
    ranks = load_ranks()
    vocab = {to_unicode(b): r for b, r in ranks.items()}
    merges = recover_merges(ranks)
    added = [{"id": i, "content": c, "single_word": False, "lstrip": False, "rstrip": False,
              "normalized": not sp, "special": sp} for i, c, sp in special_tokens()]

    def tmpl(seq_b=False):
        t = [{"SpecialToken": {"id": "<|startoftranscript|>", "type_id": 0}},
             {"SpecialToken": {"id": "<|en|>", "type_id": 0}},
             {"SpecialToken": {"id": "<|transcribe|>", "type_id": 0}},
             {"SpecialToken": {"id": "<|notimestamps|>", "type_id": 0}},
             {"Sequence": {"id": "A", "type_id": 0}}]
        if seq_b:
            t.append({"Sequence": {"id": "B", "type_id": 1}})
        return t + [{"SpecialToken": {"id": "<|endoftext|>", "type_id": 0}}]

    sp_tok = lambda c, i: {"id": c, "ids": [i], "tokens": [c]}
    tok = {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": added,
        "normalizer": None,
        "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True},
        # like HF's WhisperTokenizer after set_prefix_tokens(language="en", task="transcribe",
        # predict_timestamps=False): tokenizer(text) = prompt + text + <|endoftext|>.
        # Use add_special_tokens: false for the plain text tokens.
        "post_processor": {
            "type": "TemplateProcessing", "single": tmpl(), "pair": tmpl(True),
            "special_tokens": {c: sp_tok(c, i) for c, i in [("<|startoftranscript|>", SOT), ("<|en|>", EN),
                                                            ("<|transcribe|>", TRANSCRIBE),
                                                            ("<|notimestamps|>", NOTIMESTAMPS),
                                                            ("<|endoftext|>", EOT)]},
        },
        "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
        "model": {
            "type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": "",
            "end_of_word_suffix": "", "fuse_unk": False, "byte_fallback": False, "ignore_merges": False,
            "vocab": vocab,
            "merges": [" ".join(m) for m in merges],
        },
    }
    with open(os.path.join(out_dir, "tokenizer.json"), "w", encoding="utf-8") as f:
        json.dump(tok, f, ensure_ascii=False, separators=(",", ":"))
    added_dec = {str(i): {"content": c, "lstrip": False, "normalized": not sp, "rstrip": False,
                          "single_word": False, "special": sp} for i, c, sp in special_tokens()}
    cfg = {
        "add_bos_token": False,
        "add_prefix_space": False,
        "added_tokens_decoder": added_dec,
        "additional_special_tokens": [c for _, c, sp in special_tokens() if sp and c != "<|endoftext|>"],
        "bos_token": "<|endoftext|>",
        "clean_up_tokenization_spaces": True,
        "eos_token": "<|endoftext|>",
        "errors": "replace",
        "language": "english",
        "model_max_length": model_max_length,
        "pad_token": "<|endoftext|>",
        "predict_timestamps": False,
        "processor_class": "WhisperProcessor",
        "return_attention_mask": False,
        "task": "transcribe",
        "tokenizer_class": "WhisperTokenizer",
        "unk_token": "<|endoftext|>",
    }
    with open(os.path.join(out_dir, "tokenizer_config.json"), "w") as f:
        json.dump(cfg, f, indent=2)


# ----------------------------------------------------------------------------------
# Front end (= transformers.js WhisperFeatureExtractor)
# ----------------------------------------------------------------------------------
@lru_cache()
def mel_filters():
    return np.load(MEL_PATH)["mel_80"].astype(np.float32)  # [80, 201]


@lru_cache()
def hann_window():
    n = np.arange(N_FFT + 1, dtype=np.float64)
    return (0.5 - 0.5 * np.cos(2 * np.pi * n / N_FFT))[:N_FFT]  # periodic


def log_mel(audio, n_frames=N_FRAMES):
    """audio: 1-D float array at 16 kHz (any length; longer than 30 s is truncated).
    Returns float32 [80, n_frames]; for n_frames=3000 this is transformers.js's
    WhisperFeatureExtractor output. For n_frames < 3000 the result equals the first n_frames
    columns of the full features whenever the audio ends before sample n_frames*160-200."""
    a = np.asarray(audio, dtype=np.float32)[:N_SAMPLES]
    full = np.zeros(N_SAMPLES, np.float32)
    full[:len(a)] = a
    pad = N_FFT // 2
    need = (n_frames - 1) * HOP + N_FFT  # samples of the centre-padded signal that are used
    if need <= N_SAMPLES:  # right reflect padding not reached
        x = np.concatenate([full[1:pad + 1][::-1], full[:need - pad]])
    else:
        x = np.pad(full, (pad, pad), mode="reflect")[:need]
    x = x.astype(np.float64)
    frames = np.lib.stride_tricks.sliding_window_view(x, N_FFT)[::HOP][:n_frames] * hann_window()
    spec = np.fft.rfft(frames, axis=-1)
    power = (spec.real ** 2 + spec.imag ** 2).astype(np.float32)  # [n_frames, 201]
    mel = mel_filters() @ power.T  # [80, n_frames], float32
    mel = np.log10(np.maximum(mel, np.float32(1e-10)))
    mel = np.maximum(mel, mel.max() - np.float32(8.0))
    return ((mel + np.float32(4.0)) / np.float32(4.0)).astype(np.float32)


def pad_features(feat, n_frames=N_FRAMES):
    """Extend truncated features [80, n] to n_frames with the value of all-zero frames
    (valid when the audio ended before the last computed frame)."""
    n = feat.shape[1]
    if n >= n_frames:
        return feat[:, :n_frames]
    v = feat[:, -1:].min()  # padded frames have the floor value (max(-10, max-8) + 4) / 4
    return np.concatenate([feat, np.full((feat.shape[0], n_frames - n), v, np.float32)], axis=1)


# ----------------------------------------------------------------------------------
# Speech synthesis / augmentation
# ----------------------------------------------------------------------------------
WORDS = ["yes", "no", "up", "down", "left", "right", "on", "off", "stop", "go"]
BASE_VOICES = ["en-gb", "en-us", "en-gb-scotland", "en-gb-x-gbclan", "en-gb-x-rp", "en-gb-x-gbcwmd",
               "en-us-nyc", "en-029"]
VARIANTS = ["Alex", "Alicia", "Andrea", "Andy", "Annie", "AnxiousAndy", "Demonic", "Denis", "Diogo", "Gene",
            "Gene2", "Henrique", "Hugo", "Jacky", "Lee", "Marco", "Mario", "Michael", "Mike", "Mr serious",
            "Nguyen", "RicishayMax", "RicishayMax2", "RicishayMax3", "Storm", "Tweaky", "UniRobot", "adam", "anika",
            "anikaRobot", "announcer", "antonio", "aunty", "belinda", "benjamin", "boris", "caleb", "croak", "david",
            "ed", "edward", "edward2", "f1", "f2", "f3", "f4", "f5", "fast", "grandma", "grandpa", "gustave",
            "iven", "iven2", "iven3", "iven4", "john", "kaukovalta", "klatt", "klatt2", "klatt3", "klatt4",
            "klatt5", "klatt6", "linda", "m1", "m2", "m3", "m4", "m5", "m6", "m7", "m8", "marcelo", "max",
            "michel", "miguel", "norbert", "pablo", "paul", "pedro", "quincy", "rob", "robert", "robosoft",
            "robosoft2", "robosoft3", "robosoft4", "robosoft5", "robosoft6", "robosoft7", "robosoft8", "sandro",
            "shelby", "steph", "steph2", "steph3", "travis", "victor", "whisper", "whisperf", "zac", None]
# voices never used for training (evaluation only): these variants (with any base voice) and
# every voice with the base accent en-029
HELDOUT_VARIANTS = ["m2", "m6", "f3", "klatt3", "Andy", "Annie", "Henrique", "linda", "Mr serious", "Storm",
                    "grandma", "robert", "steph2", "travis", "iven3", "norbert"]
HELDOUT_BASES = ["en-029"]


def voice_name(base, variant):
    return base if variant is None else f"{base}+{variant}"


def train_voices():
    return [(b, v) for b in BASE_VOICES if b not in HELDOUT_BASES for v in VARIANTS if v not in HELDOUT_VARIANTS]


def heldout_voices():
    return [(b, v) for b in BASE_VOICES for v in HELDOUT_VARIANTS]


def _read_wav(data):
    with wave.open(io.BytesIO(data)) as w:
        sr = w.getframerate()
        x = np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16).astype(np.float32) / 32768.0
    return x, sr


def espeak(text, voice, speed=160, pitch=50, amplitude=100, gap=None):
    """Synthesise with espeak-ng; returns float32 mono at 16 kHz (leading/trailing silence trimmed)."""
    from scipy.signal import resample_poly
    cmd = ["espeak-ng", "-v", voice, "-s", str(int(speed)), "-p", str(int(pitch)), "-a", str(int(amplitude)),
           "--stdout", text]
    data = subprocess.run(cmd, capture_output=True, check=True).stdout
    x, sr = _read_wav(data)
    if sr != SAMPLE_RATE:
        g = math.gcd(sr, SAMPLE_RATE)
        x = resample_poly(x, SAMPLE_RATE // g, sr // g).astype(np.float32)
    nz = np.nonzero(np.abs(x) > 1e-3)[0]
    if len(nz):
        x = x[max(0, nz[0] - 160):nz[-1] + 160]
    return x


def synth_job(args):
    """Worker: (word, base, variant, speed, pitch, amplitude) -> float32 audio."""
    word, base, variant, speed, pitch, amp = args
    return espeak(word, voice_name(base, variant), speed, pitch, amp)


def colored_noise(rng, n, kind):
    if kind == "white":
        return rng.standard_normal(n).astype(np.float32)
    if kind == "hum":
        t = np.arange(n) / SAMPLE_RATE
        f0 = rng.choice([50.0, 60.0])
        x = sum(rng.uniform(0.2, 1.0) / k * np.sin(2 * np.pi * f0 * k * t + rng.uniform(0, 6.3)) for k in range(1, 6))
        return (x + 0.05 * rng.standard_normal(n)).astype(np.float32)
    # pink / brown via spectral shaping
    w = rng.standard_normal(n)
    f = np.fft.rfftfreq(n, 1 / SAMPLE_RATE)
    f[0] = f[1]
    s = np.fft.rfft(w) / (np.sqrt(f) if kind == "pink" else f)
    x = np.fft.irfft(s, n)
    return (x / (x.std() + 1e-9)).astype(np.float32)


def augment_clip(rng, speech, total_len=None, noise_only=False, min_snr=0.0):
    """Place `speech` (16 kHz float) in a recording of 0.5-5 s with random leading silence, random
    gain, optional microphone colouring / reverb and background noise at a random SNR."""
    from scipy.signal import lfilter, butter, fftconvolve
    if total_len is None:
        total_len = rng.uniform(0.5, 5.0)
    n = int(total_len * SAMPLE_RATE)
    out = np.zeros(n, np.float32)
    if not noise_only:
        s = speech.copy()
        if rng.random() < 0.3:  # simple room: exponentially decaying noise impulse response
            L = int(rng.uniform(0.05, 0.4) * SAMPLE_RATE)
            ir = rng.standard_normal(L) * np.exp(-np.arange(L) / (L / rng.uniform(3, 8)))
            ir[0] = rng.uniform(3, 10)
            s = fftconvolve(s, ir)[:len(s) + L // 2].astype(np.float32)
        if rng.random() < 0.4:  # mic colouring: band-limit
            lo = rng.uniform(60, 400)
            hi = rng.uniform(3000, 7800)
            b, a = butter(2, [lo / 8000, hi / 8000], btype="band")
            s = lfilter(b, a, s).astype(np.float32)
        s = s / (np.abs(s).max() + 1e-9)
        if len(s) > n:
            n = len(s) + int(rng.uniform(0.0, 0.3) * SAMPLE_RATE)
            out = np.zeros(n, np.float32)
        lead = int(rng.uniform(0, 1) * (n - len(s)))
        out[lead:lead + len(s)] = s
    sig_rms = np.sqrt(np.mean(out ** 2)) if not noise_only else 0.1
    r = rng.random()
    if noise_only or r < 0.85:
        kind = rng.choice(["white", "pink", "brown", "hum", "mix"])
        if kind == "mix":
            nz = colored_noise(rng, n, "pink") + rng.uniform(0.2, 1) * colored_noise(rng, n, "hum")
        else:
            nz = colored_noise(rng, n, kind)
        nz = nz / (np.sqrt(np.mean(nz ** 2)) + 1e-9)
        snr = rng.uniform(min_snr, 40) if not noise_only else 0.0
        level = sig_rms * 10 ** (-snr / 20)
        if noise_only:
            level = 10 ** rng.uniform(-4, -0.5)
            if rng.random() < 0.15:
                level = 0.0  # digital silence
        out = out + level * nz
    out = out + 10 ** rng.uniform(-6, -4) * rng.standard_normal(n).astype(np.float32)  # dither
    gain = 10 ** rng.uniform(-1.5, 0)
    out = out * gain
    return np.clip(out, -1, 1).astype(np.float32)


# ----------------------------------------------------------------------------------
# More synthesisers: festival (training) and flite (held out entirely)
# ----------------------------------------------------------------------------------
# festival's English voices in Debian (festvox-kallpc16k, festvox-kdlpc16k (installs ked_diphone),
# festvox-us-slt-hts). Training only.
FESTIVAL_VOICES = ["kal_diphone", "ked_diphone", "cmu_us_slt_arctic_hts"]
FESTIVAL_DIPHONE = {"kal_diphone", "ked_diphone"}  # these take a target f0 (int_lr_params)
# flite's voices (Debian flite 2.2; `awb_time` is a talking-clock domain voice and is left out).
# The whole synthesiser is never used for training. Note: flite's kal/kal16 and slt were built from
# the same speakers' recordings as festival's kal_diphone and cmu_us_slt_arctic_hts (different
# engines, same people); awb (Scottish English male) and rms (US male) are speakers no training
# synthesiser has.
FLITE_VOICES = ["kal", "kal16", "awb", "rms", "slt"]
FLITE_UNSEEN_SPEAKERS = ["awb", "rms"]
# what a synthesiser is asked to say for a word: the punctuation changes the intonation
SPOKEN_FORMS = ["{}", "{}.", "{}!", "{}?", "{}", "{}."]


def _to_16k_trimmed(x, sr):
    from scipy.signal import resample_poly
    if sr != SAMPLE_RATE:
        g = math.gcd(sr, SAMPLE_RATE)
        x = resample_poly(x, SAMPLE_RATE // g, sr // g).astype(np.float32)
    nz = np.nonzero(np.abs(x) > 0.01 * max(1e-9, np.abs(x).max()))[0]  # 1 % of the peak
    if len(nz):
        x = x[max(0, nz[0] - 160):nz[-1] + 160]
    return x.astype(np.float32)


def _festival_run(jobs, workdir):
    import tempfile
    import shutil
    os.makedirs(workdir, exist_ok=True)
    d = tempfile.mkdtemp(dir=workdir)
    voice = jobs[0][1]
    lines = [f"(voice_{voice})", "(set! orig_lr int_lr_params)"]
    for k, (text, v, stretch, f0, f0sd) in enumerate(jobs):
        assert v == voice
        lines.append(f"(Parameter.set 'Duration_Stretch {stretch:.3f})")
        if f0 is not None and voice in FESTIVAL_DIPHONE:
            lines.append(f"(set! int_lr_params (cons (list 'target_f0_mean {f0:.1f}) "
                         f"(cons (list 'target_f0_std {f0sd:.1f}) orig_lr)))")
        safe = text.replace('"', '')
        lines.append(f'(utt.save.wave (SynthText "{safe}") "{d}/{k:05d}.wav" \'riff)')
    with open(os.path.join(d, "script.scm"), "w") as f:
        f.write("\n".join(lines) + "\n")
    try:
        subprocess.run(["festival", "--batch", os.path.join(d, "script.scm")], check=True, capture_output=True)
        out = []
        for k in range(len(jobs)):
            with open(os.path.join(d, f"{k:05d}.wav"), "rb") as f:
                x, sr = _read_wav(f.read())
            out.append(_to_16k_trimmed(x, sr))
        return out
    finally:
        shutil.rmtree(d, ignore_errors=True)


def festival_batch(jobs, workdir, chunk=40):
    """jobs: [(text, voice, duration_stretch, f0_mean or None, f0_std)] for ONE voice -> list of
    16 kHz float32 clips, None where festival failed. One festival process per `chunk` utterances
    (start-up is the expensive part); festival aborts on a few parameter settings (e.g. ked_diphone,
    "on." at some f0 targets), so a failed chunk is redone one utterance per process."""
    out = []
    for i in range(0, len(jobs), chunk):
        part = jobs[i:i + chunk]
        try:
            out += _festival_run(part, workdir)
        except subprocess.CalledProcessError:
            for j in part:
                try:
                    out += _festival_run([j], workdir)
                except subprocess.CalledProcessError:
                    out.append(None)
    return out


def flite(text, voice, stretch=1.0, f0_mean=None):
    """Synthesise with flite (held out: evaluation and the e2e fixture only)."""
    import tempfile
    with tempfile.NamedTemporaryFile(suffix=".wav") as t:
        cmd = ["flite", "-voice", voice, "-t", text, "-o", t.name, "--setf", f"duration_stretch={stretch:.3f}"]
        if f0_mean is not None:
            cmd += ["--setf", f"int_f0_target_mean={f0_mean:.1f}"]
        subprocess.run(cmd, check=True, capture_output=True)
        with open(t.name, "rb") as f:
            x, sr = _read_wav(f.read())
    return _to_16k_trimmed(x, sr)


def flite_job(args):
    text, voice, stretch, f0 = args
    return flite(text, voice, stretch, f0)


# ----------------------------------------------------------------------------------
# Capture conditions: rooms, microphones, noise, level, codecs
# ----------------------------------------------------------------------------------
def room_impulse_response(rng, rt60=None, drr_db=None):
    """A synthetic room: direct sound, a few early reflections (2-40 ms) and a diffuse tail whose
    decay is faster at high frequencies (three bands). rt60 in seconds (0.15 small room .. 1.2 hall),
    drr_db = direct-to-reverberant energy ratio (lower = farther from the microphone)."""
    from scipy.signal import butter, sosfilt
    rt60 = rng.uniform(0.15, 1.2) if rt60 is None else rt60
    drr_db = rng.uniform(-3, 15) if drr_db is None else drr_db
    n = int(min(1.5 * rt60, 1.2) * SAMPLE_RATE) + 1
    t = np.arange(n) / SAMPLE_RATE
    tail = np.zeros(n)
    edges = [(None, 500), (500, 3000), (3000, None)]
    for (lo, hi), mult in zip(edges, [1.15, 1.0, 0.6]):
        w = rng.standard_normal(n)
        if lo is None:
            sos = butter(2, hi / 8000, btype="low", output="sos")
        elif hi is None:
            sos = butter(2, lo / 8000, btype="high", output="sos")
        else:
            sos = butter(2, [lo / 8000, hi / 8000], btype="band", output="sos")
        tail += sosfilt(sos, w) * np.exp(-6.9 * t / (rt60 * mult))
    onset = int(rng.uniform(0.002, 0.01) * SAMPLE_RATE)
    tail[:onset] = 0
    for _ in range(int(rng.integers(4, 14))):
        k = int(rng.uniform(0.002, 0.04) * SAMPLE_RATE)
        tail[k] += rng.choice([-1, 1]) * rng.uniform(0.2, 0.7) * np.exp(-6.9 * k / SAMPLE_RATE / rt60)
    tail_e = np.sum(tail ** 2) + 1e-12
    tail *= np.sqrt(10 ** (-drr_db / 10) / tail_e)
    ir = tail
    ir[0] += 1.0
    return ir.astype(np.float32)


def apply_room(rng, s, rt60=None, drr_db=None):
    from scipy.signal import fftconvolve
    ir = room_impulse_response(rng, rt60, drr_db)
    return fftconvolve(s, ir)[:len(s) + len(ir) // 2].astype(np.float32)


def apply_microphone(rng, s, kind=None):
    """Band limits of real capture: 'telephone' (300-3400 Hz, 8 kHz, mu-law), 'laptop' (small
    MEMS microphone: high-pass 100-300 Hz, low-pass 5-7.5 kHz, 1-3 resonances of +-8 dB),
    'headset' (mild high-pass, presence peak)."""
    from scipy.signal import butter, sosfilt, lfilter, resample_poly
    kind = kind or rng.choice(["telephone", "laptop", "headset"])
    x = s.astype(np.float64)
    if kind == "telephone":
        x = sosfilt(butter(4, [rng.uniform(250, 400) / 8000, rng.uniform(3200, 3600) / 8000], btype="band",
                           output="sos"), x)
        x = resample_poly(resample_poly(x, 1, 2), 2, 1)[:len(s)]
        if rng.random() < 0.7:  # G.711 mu-law, 8 bit
            pk = np.abs(x).max() + 1e-9
            y = x / pk
            mu = 255.0
            c = np.sign(y) * np.log1p(mu * np.abs(y)) / np.log1p(mu)
            c = np.round(c * 127) / 127
            x = pk * np.sign(c) * ((1 + mu) ** np.abs(c) - 1) / mu
    else:
        hp = rng.uniform(100, 300) if kind == "laptop" else rng.uniform(40, 120)
        x = sosfilt(butter(2, hp / 8000, btype="high", output="sos"), x)
        if kind == "laptop":
            x = sosfilt(butter(4, rng.uniform(5000, 7500) / 8000, btype="low", output="sos"), x)
        for _ in range(int(rng.integers(1, 4)) if kind == "laptop" else 1):
            f0 = rng.uniform(800, 6000) if kind == "laptop" else rng.uniform(2000, 5000)
            gain_db = rng.uniform(-8, 8) if kind == "laptop" else rng.uniform(2, 6)
            q = rng.uniform(0.7, 3)
            A = 10 ** (gain_db / 40)
            w0 = 2 * np.pi * f0 / SAMPLE_RATE
            al = np.sin(w0) / (2 * q)
            b = [1 + al * A, -2 * np.cos(w0), 1 - al * A]
            a = [1 + al / A, -2 * np.cos(w0), 1 - al / A]
            x = lfilter(b, a, x)
    return x.astype(np.float32)


def background_noise(rng, n, kind=None, babble=None):
    kind = kind or rng.choice(["white", "pink", "brown", "hum", "mix", "fan", "clicks", "babble"])
    if kind == "babble" and babble:
        x = np.zeros(n, np.float32)
        for _ in range(int(rng.integers(2, 6))):
            c = babble[int(rng.integers(len(babble)))]
            c = c / (np.sqrt(np.mean(c ** 2)) + 1e-9)
            pos = int(rng.integers(-len(c) + 1, n))
            a, b = max(0, pos), min(n, pos + len(c))
            if b > a:
                x[a:b] += rng.uniform(0.3, 1.0) * c[a - pos:b - pos]
        x = x + 0.05 * colored_noise(rng, n, "pink")
    elif kind == "fan":
        from scipy.signal import butter, sosfilt
        x = sosfilt(butter(2, rng.uniform(200, 1200) / 8000, output="sos"), colored_noise(rng, n, "white"))
        x = x + 0.3 * colored_noise(rng, n, "hum")
    elif kind == "clicks":  # keyboard / handling noise over a quiet floor
        x = 0.1 * colored_noise(rng, n, "pink")
        for _ in range(int(rng.integers(2, 12) * n / SAMPLE_RATE)):
            k = int(rng.integers(0, max(1, n - 400)))
            L = int(rng.integers(40, 400))
            x[k:k + L] += rng.uniform(1, 6) * rng.standard_normal(L) * np.exp(-np.arange(L) / (L / 5))
    elif kind == "mix" or kind == "babble":
        x = colored_noise(rng, n, "pink") + rng.uniform(0.2, 1) * colored_noise(rng, n, "hum")
    else:
        x = colored_noise(rng, n, kind)
    x = np.asarray(x, np.float32)
    return x / (np.sqrt(np.mean(x ** 2)) + 1e-9)


def change_speed(rng, s, factor=None):
    """Resampling speed change (tempo and pitch together), factor 0.9-1.1."""
    from scipy.signal import resample_poly
    factor = rng.uniform(0.9, 1.1) if factor is None else factor
    up = 100
    down = int(round(100 * factor))
    return resample_poly(s, up, down).astype(np.float32)


CODECS = [("opus", "libopus", ["-b:a", "{}k"], "ogg", [12, 16, 24, 32, 48]),
          ("mp3", "libmp3lame", ["-b:a", "{}k"], "mp3", [32, 48, 64, 96])]


def codec_roundtrip_many(rng, clips, codec=None, kbps=None, gap_s=0.3):
    """Encode and decode clips with ffmpeg (Opus in Ogg as a browser's MediaRecorder writes it,
    or MP3) at 48 kHz, the rate a browser captures at, then back to 16 kHz. The clips are joined
    with `gap_s` of silence and sent through ONE encoder/decoder pair (two ffmpeg start-ups cost
    ~0.4 s, the coding itself ~1 ms per clip), then cut apart again at the offset where the decoded
    signal correlates best with the input (the codec's delay)."""
    from scipy.signal import fftconvolve
    name, enc, opts, fmt, rates = next(c for c in CODECS if c[0] == codec) if codec else CODECS[int(rng.integers(2))]
    kbps = kbps or int(rng.choice(rates))
    gap = int(gap_s * SAMPLE_RATE)
    starts, parts, pos = [], [np.zeros(gap, np.float32)], gap
    for c in clips:
        starts.append(pos)
        parts += [np.clip(c, -1, 1).astype(np.float32), np.zeros(gap, np.float32)]
        pos += len(c) + gap
    x = np.concatenate(parts)
    e = subprocess.run(["ffmpeg", "-v", "error", "-f", "f32le", "-ar", str(SAMPLE_RATE), "-ac", "1", "-i", "-",
                        "-ar", "48000", "-c:a", enc] + [o.format(kbps) for o in opts] + ["-f", fmt, "-"],
                       input=x.tobytes(), capture_output=True, check=True).stdout
    d = subprocess.run(["ffmpeg", "-v", "error", "-i", "-", "-f", "f32le", "-ar", str(SAMPLE_RATE), "-ac", "1", "-"],
                       input=e, capture_output=True, check=True).stdout
    y = np.frombuffer(d, np.float32)
    max_lag = 2000  # samples (125 ms): far more than either codec's delay
    m = min(len(x), len(y))
    corr = fftconvolve(y[:m], x[:m][::-1])[m - 1 - max_lag:m + max_lag]  # lag -max_lag..max_lag
    lag = int(np.argmax(corr)) - max_lag
    y = np.concatenate([y, np.zeros(max(0, len(x) + max_lag - len(y)), np.float32)])
    out = []
    for st, c in zip(starts, clips):
        a = st + lag
        seg = y[max(0, a):a + len(c)]
        if a < 0:
            seg = np.concatenate([np.zeros(-a, np.float32), seg])
        out.append(seg.astype(np.float32).copy())
    return out, {"codec": name, "kbps": kbps, "lag_samples": lag}


def codec_roundtrip(rng, audio, codec=None, kbps=None):
    return codec_roundtrip_many(rng, [audio], codec, kbps)[0][0]


def augment_capture(rng, speech, cond=None, noise_only=False, babble=None, total_len=None):
    """The capture chain a browser recording goes through, each stage random (or fixed by `cond`,
    a dict used by the held-out condition sets): speed change, room, microphone, placement with
    leading / trailing silence (time shift), background noise at 0-30 dB SNR, level change and
    clipping. The codec round trip is separate (codec_roundtrip; costs a subprocess)."""
    cond = cond or {}
    rnd = (lambda p, key: cond[key] if key in cond else rng.random() < p)
    if total_len is None:
        total_len = rng.uniform(0.6, 5.0)
    n = int(total_len * SAMPLE_RATE)
    out = np.zeros(n, np.float32)
    if not noise_only:
        s = speech.copy()
        if rnd(0.5, "speed"):
            s = change_speed(rng, s, cond.get("speed_factor"))
        if rnd(0.5, "room"):
            s = apply_room(rng, s, cond.get("rt60"), cond.get("drr_db"))
        if rnd(0.5, "mic"):
            s = apply_microphone(rng, s, cond.get("mic_kind"))
        s = s / (np.abs(s).max() + 1e-9)
        if len(s) > n:
            n = len(s) + int(rng.uniform(0.05, 0.4) * SAMPLE_RATE)
            out = np.zeros(n, np.float32)
        lead = int(rng.uniform(0, 1) * (n - len(s)))
        out[lead:lead + len(s)] = s
    sig_rms = np.sqrt(np.mean(out ** 2)) + 1e-9 if not noise_only else 0.1
    if noise_only or rnd(0.85, "noise"):
        nz = background_noise(rng, n, cond.get("noise_kind"), babble)
        if noise_only:
            level = 10 ** rng.uniform(-4, -0.7)
            if rng.random() < 0.15:
                level = 0.0
        else:
            lo, hi = cond.get("snr_db", (0.0, 30.0))
            level = sig_rms * 10 ** (-rng.uniform(lo, hi) / 20)
        out = out + level * nz
    out = out + 10 ** rng.uniform(-6, -4) * rng.standard_normal(n).astype(np.float32)
    if not noise_only and rnd(0.12, "clip"):  # too hot an input: hard clipping at 1.5-6x overdrive
        out = out / (np.abs(out).max() + 1e-9) * rng.uniform(1.5, 6.0)
        out = np.clip(out, -1, 1)
    else:
        out = out / (np.abs(out).max() + 1e-9) * 10 ** rng.uniform(-2.0, 0)  # level: -40..0 dBFS peak
    return np.clip(out, -1, 1).astype(np.float32)


# ----------------------------------------------------------------------------------
# Model
# ----------------------------------------------------------------------------------
import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402

NEG = -1e9


def gelu(x):
    """Exact (erf) GELU written out: the float32 backward of F.gelu / nn.GELU in Debian's
    torch 1.13 build returns garbage (~1e19) for non-contiguous gradients (e.g. after the
    encoder's transpose), which blew the training up to NaN. Exports to the same Erf graph."""
    return x * 0.5 * (1.0 + torch.erf(x * 0.7071067811865476))


class GELU(nn.Module):
    def forward(self, x):
        return gelu(x)


def sinusoids(length, channels, max_timescale=10000):
    """Whisper's encoder positional embedding."""
    inc = np.log(max_timescale) / (channels // 2 - 1)
    inv = torch.exp(-inc * torch.arange(channels // 2))
    t = torch.arange(length)[:, None] * inv[None, :]
    return torch.cat([torch.sin(t), torch.cos(t)], dim=1)


class MHA(nn.Module):
    def __init__(self, d, heads):
        super().__init__()
        self.h = heads
        self.q = nn.Linear(d, d)
        self.k = nn.Linear(d, d, bias=False)
        self.v = nn.Linear(d, d)
        self.o = nn.Linear(d, d)

    def split(self, x):  # [B,L,d] -> [B,H,L,hd]
        B, L, d = x.shape
        return x.reshape(B, L, self.h, d // self.h).transpose(1, 2)

    def attend(self, q, k, v, mask=None):  # q [B,H,Lq,hd], k/v [B,H,Lk,hd]
        hd = q.shape[-1]
        att = (q @ k.transpose(-2, -1)) * (hd ** -0.5)
        if mask is not None:
            att = att + mask
        att = att.softmax(dim=-1)
        y = att @ v  # [B,H,Lq,hd]
        B, H, L, _ = y.shape
        return self.o(y.transpose(1, 2).reshape(B, L, H * hd))


class EncoderBlock(nn.Module):
    def __init__(self, d, heads, mlp):
        super().__init__()
        self.ln1 = nn.LayerNorm(d)
        self.attn = MHA(d, heads)
        self.ln2 = nn.LayerNorm(d)
        self.mlp = nn.Sequential(nn.Linear(d, mlp), GELU(), nn.Linear(mlp, d))

    def forward(self, x):
        h = self.ln1(x)
        a = self.attn
        x = x + a.attend(a.split(a.q(h)), a.split(a.k(h)), a.split(a.v(h)))
        return x + self.mlp(self.ln2(x))


class AudioEncoder(nn.Module):
    def __init__(self, d=128, heads=4, layers=2, mlp=512, n_mels=N_MELS, n_ctx=1500):
        super().__init__()
        self.conv1 = nn.Conv1d(n_mels, d, 3, padding=1)
        self.conv2 = nn.Conv1d(d, d, 3, stride=2, padding=1)
        self.register_buffer("positional_embedding", sinusoids(n_ctx, d))
        self.blocks = nn.ModuleList([EncoderBlock(d, heads, mlp) for _ in range(layers)])
        self.ln_post = nn.LayerNorm(d)

    def forward(self, x):  # [B,80,T] -> [B,T/2,d]
        x = gelu(self.conv1(x))
        x = gelu(self.conv2(x)).transpose(1, 2)
        x = x + self.positional_embedding[:x.shape[1]]
        for b in self.blocks:
            x = b(x)
        return self.ln_post(x)


class DecoderBlock(nn.Module):
    def __init__(self, d, heads, mlp):
        super().__init__()
        self.ln1 = nn.LayerNorm(d)
        self.attn = MHA(d, heads)
        self.ln_x = nn.LayerNorm(d)
        self.cross = MHA(d, heads)
        self.ln2 = nn.LayerNorm(d)
        self.mlp = nn.Sequential(nn.Linear(d, mlp), GELU(), nn.Linear(mlp, d))

    def cross_kv(self, enc):
        c = self.cross
        return c.split(c.k(enc)), c.split(c.v(enc))

    def forward(self, x, mask, past_k=None, past_v=None, cross_k=None, cross_v=None):
        a = self.attn
        h = self.ln1(x)
        q, k, v = a.split(a.q(h)), a.split(a.k(h)), a.split(a.v(h))
        if past_k is not None:
            k = torch.cat([past_k, k], dim=2)
            v = torch.cat([past_v, v], dim=2)
        x = x + a.attend(q, k, v, mask)
        c = self.cross
        x = x + c.attend(c.split(c.q(self.ln_x(x))), cross_k, cross_v)
        x = x + self.mlp(self.ln2(x))
        return x, k, v


class TextDecoder(nn.Module):
    def __init__(self, d=128, heads=4, layers=2, mlp=512, vocab=VOCAB_SIZE, n_ctx=448, factor_dim=32):
        super().__init__()
        self.factor_dim = factor_dim
        if factor_dim:
            self.token_embedding = nn.Embedding(vocab, factor_dim)
            self.token_up = nn.Linear(factor_dim, d, bias=False)
        else:
            self.token_embedding = nn.Embedding(vocab, d)
            self.token_up = None
        nn.init.normal_(self.token_embedding.weight, std=0.02)
        self.positional_embedding = nn.Parameter(torch.randn(n_ctx, d) * 0.01)
        self.blocks = nn.ModuleList([DecoderBlock(d, heads, mlp) for _ in range(layers)])
        self.ln = nn.LayerNorm(d)
        # zero bias so that the tied output projection exports as Gemm(transB=1) on the SAME
        # initializer as the embedding Gather (a MatMul would get a constant-folded transposed copy)
        self.register_buffer("logit_bias", torch.zeros(vocab), persistent=False)

    @torch.no_grad()
    def balance_token_factor(self):
        """Same E_full = E @ up^T with every column of E at the same max |value| (up takes the
        inverse scale). The function is unchanged; the q8 file stores E as one uint8 tensor with a
        single scale, and an SVD-cut E (train --init-from) has one column ~10x the others, which
        left the small columns a few quantisation steps each."""
        if self.token_up is None:
            return
        E, up = self.token_embedding.weight, self.token_up.weight
        col = E.abs().amax(0).clamp_min(1e-12)
        scale = col.mean() / col
        E.mul_(scale)
        up.div_(scale)

    def embed(self, ids):
        x = self.token_embedding(ids)
        return self.token_up(x) if self.token_up is not None else x

    def logits(self, x):
        B, L, d = x.shape
        if self.token_up is not None:
            x = x @ self.token_up.weight  # [B,L,factor_dim]  (tied: E_full = E @ up^T)
        x2 = x.reshape(B * L, x.shape[-1])
        return F.linear(x2, self.token_embedding.weight, self.logit_bias).reshape(B, L, -1)

    def forward(self, ids, enc, past=None, cross=None, broadcast_past=True):
        """ids [B,L]; enc [B,S,d] (or None when `cross` is given); past: list of (k, v) per layer
        [B (or 1 if broadcast_past),H,P,hd] or None; cross: list of precomputed (ck, cv) or None.
        Returns logits, [(k, v)] self-attention caches, [(ck, cv)] cross K/V."""
        B, L = ids.shape
        P = 0 if past is None else past[0][0].shape[2]
        x = self.embed(ids) + self.positional_embedding[P:P + L]
        qi = torch.arange(L, device=ids.device)[:, None] + P
        kj = torch.arange(P + L, device=ids.device)[None, :]
        mask = (kj > qi).to(x.dtype) * NEG
        presents, crosses = [], []
        for i, blk in enumerate(self.blocks):
            ck, cv = blk.cross_kv(enc) if cross is None else cross[i]
            pk = pv = None
            if past is not None:
                pk, pv = past[i]
                if broadcast_past:
                    # broadcast a batch-1 (empty) cache to the batch of input_ids
                    z = torch.zeros(B, 1, 1, 1, dtype=x.dtype)
                    pk, pv = pk + z, pv + z
            x, k, v = blk(x, mask, pk, pv, ck, cv)
            presents.append((k, v))
            crosses.append((ck, cv))
        return self.logits(self.ln(x)), presents, crosses


class Whisper(nn.Module):
    def __init__(self, d=128, heads=4, enc_layers=2, dec_layers=2, mlp=512, factor_dim=32):
        super().__init__()
        self.dims = dict(d=d, heads=heads, enc_layers=enc_layers, dec_layers=dec_layers, mlp=mlp,
                         factor_dim=factor_dim)
        self.encoder = AudioEncoder(d, heads, enc_layers, mlp)
        self.decoder = TextDecoder(d, heads, dec_layers, mlp, factor_dim=factor_dim)

    def forward(self, feats, ids):
        return self.decoder(ids, self.encoder(feats))[0]


# ----------------------------------------------------------------------------------
# ONNX export
# ----------------------------------------------------------------------------------
def export_encoder(model, path, opset=14):
    model.eval()
    x = torch.randn(1, N_MELS, N_FRAMES)
    torch.onnx.export(model.encoder, (x,), path, input_names=["input_features"], output_names=["last_hidden_state"],
                      dynamic_axes={"input_features": {0: "batch_size"}, "last_hidden_state": {0: "batch_size"}},
                      opset_version=opset, do_constant_folding=True)


class _DecoderNoPast(nn.Module):
    """use_cache_branch = false: no past; cross-attention K/V computed from encoder_hidden_states."""

    def __init__(self, dec):
        super().__init__()
        self.dec = dec

    def forward(self, input_ids, encoder_hidden_states):
        logits, presents, crosses = self.dec(input_ids, encoder_hidden_states)
        outs = [logits]
        for (k, v), (ck, cv) in zip(presents, crosses):
            outs += [k, v, ck, cv]
        return tuple(outs)


class _DecoderWithPast(nn.Module):
    """use_cache_branch = true: self-attention appends to the past, cross-attention reads the
    cached encoder K/V (passed through unchanged as present.*.encoder.*)."""

    def __init__(self, dec):
        super().__init__()
        self.dec = dec

    def forward(self, input_ids, *pkv):
        n = len(self.dec.blocks)
        past = [(pkv[4 * i], pkv[4 * i + 1]) for i in range(n)]
        cross = [(pkv[4 * i + 2], pkv[4 * i + 3]) for i in range(n)]
        logits, presents, _ = self.dec(input_ids, None, past, cross, broadcast_past=False)
        outs = [logits]
        for (k, v), (ck, cv) in zip(presents, cross):
            outs += [k, v, ck, cv]
        return tuple(outs)


def _pkv_names(n):
    ins, outs = [], []
    for i in range(n):
        for kind in ("decoder", "encoder"):
            for kv in ("key", "value"):
                ins.append(f"past_key_values.{i}.{kind}.{kv}")
                outs.append(f"present.{i}.{kind}.{kv}")
    return ins, outs


def export_decoder(model, path, opset=14, merged=True):
    """decoder_model_merged.onnx with the transformers.js / Optimum interface.

    merged=True (default): Optimum-style graph: an If on `use_cache_branch` selects between the
    no-past branch (computes cross-attention K/V from encoder_hidden_states) and the with-past
    branch (appends to the self-attention cache, reads the cached encoder K/V); both branches
    share the weights (outer-scope initializers, deduplicated by content).
    merged=False: one graph without If: self-attention concatenates the (possibly empty) past,
    cross-attention K/V are always computed from encoder_hidden_states (the encoder past inputs
    are declared but unused)."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper
    model.eval()
    dec = model.decoder
    n = len(dec.blocks)
    H = model.dims["heads"]
    d = model.dims["d"]
    hd = d // H
    V = dec.token_embedding.weight.shape[0]
    B, L, P, S = 2, 3, 2, 7
    ids = torch.randint(0, 50000, (B, L))
    enc = torch.randn(B, S, d)
    pin, pout = _pkv_names(n)
    dims_in = {"input_ids": ["batch_size", "decoder_sequence_length"],
               "encoder_hidden_states": ["batch_size", "encoder_sequence_length", d],
               "use_cache_branch": [1]}
    dims_out = {"logits": ["batch_size", "decoder_sequence_length", V]}
    for nm in pin:
        dims_in[nm] = ["batch_size", H, "past_decoder_sequence_length" if ".decoder." in nm
                       else "encoder_sequence_length_out", hd]
    for nm in pout:
        dims_out[nm] = ["batch_size", H, "past_decoder_sequence_length + decoder_sequence_length"
                        if ".decoder." in nm else "encoder_sequence_length_out", hd]
    dyn_axes = lambda names: {nm: {i: x for i, x in enumerate((dims_in | dims_out)[nm]) if isinstance(x, str)}
                              for nm in names}
    ordered_in = ["input_ids", "encoder_hidden_states"] + pin + ["use_cache_branch"]

    def finish(m):
        g = m.graph
        vi = {x.name: x for x in g.input}
        del g.input[:]
        for nm in ordered_in:
            elem = TensorProto.INT64 if nm == "input_ids" else (TensorProto.BOOL if nm == "use_cache_branch"
                                                                 else TensorProto.FLOAT)
            g.input.append(helper.make_tensor_value_info(nm, elem, dims_in[nm]))
        del g.output[:]
        for nm in ["logits"] + pout:
            g.output.append(helper.make_tensor_value_info(nm, TensorProto.FLOAT, dims_out[nm]))
        onnx.checker.check_model(m)
        onnx.save(m, path)

    if not merged:
        past = [torch.randn(B, H, P, hd) for _ in range(2 * n)]
        self_in = [nm for nm in pin if ".decoder." in nm]
        tmp = path + ".tmp"

        class _Single(nn.Module):
            def __init__(self, dec):
                super().__init__()
                self.dec = dec

            def forward(self, input_ids, encoder_hidden_states, *ps):
                pst = [(ps[2 * i], ps[2 * i + 1]) for i in range(n)]
                logits, presents, crosses = self.dec(input_ids, encoder_hidden_states, pst)
                outs = [logits]
                for (k, v), (ck, cv) in zip(presents, crosses):
                    outs += [k, v, ck, cv]
                return tuple(outs)

        torch.onnx.export(_Single(dec), (ids, enc, *past), tmp,
                          input_names=["input_ids", "encoder_hidden_states"] + self_in,
                          output_names=["logits"] + pout,
                          dynamic_axes=dyn_axes(["input_ids", "encoder_hidden_states"] + self_in + ["logits"] + pout),
                          opset_version=opset, do_constant_folding=True)
        m = onnx.load(tmp)
        os.remove(tmp)
        finish(m)
        return

    # --- two branches -------------------------------------------------------------------------
    tmp_a, tmp_b = path + ".a.tmp", path + ".b.tmp"
    torch.onnx.export(_DecoderNoPast(dec), (ids, enc), tmp_a, input_names=["input_ids", "encoder_hidden_states"],
                      output_names=["logits"] + pout,
                      dynamic_axes=dyn_axes(["input_ids", "encoder_hidden_states", "logits"] + pout),
                      opset_version=opset, do_constant_folding=True)
    pkv = []
    for i in range(n):
        pkv += [torch.randn(B, H, P, hd), torch.randn(B, H, P, hd), torch.randn(B, H, S, hd), torch.randn(B, H, S, hd)]
    torch.onnx.export(_DecoderWithPast(dec), (ids, *pkv), tmp_b, input_names=["input_ids"] + pin,
                      output_names=["logits"] + pout, dynamic_axes=dyn_axes(["input_ids"] + pin + ["logits"] + pout),
                      opset_version=opset, do_constant_folding=True)
    ga, gb = onnx.load(tmp_a).graph, onnx.load(tmp_b).graph
    os.remove(tmp_a)
    os.remove(tmp_b)
    outer_inputs = set(ordered_in)
    inits, by_content = [], {}

    def canon(init, used):
        arr = numpy_helper.to_array(init)
        key = (arr.dtype.str, arr.shape, arr.tobytes())
        if key not in by_content:
            name = init.name
            while name in used:
                name = name + "_"
            used.add(name)
            t = numpy_helper.from_array(arr, name)
            inits.append(t)
            by_content[key] = name
        return by_content[key]

    used = set()

    def branch(g, prefix):
        ren = {i.name: canon(i, used) for i in g.initializer}
        rn = lambda x: x if (not x or x in outer_inputs) else ren.get(x, prefix + x)
        nodes = []
        for node in g.node:
            if node.op_type == "Constant" and node.attribute[0].name == "value" and \
                    int(np.prod(node.attribute[0].t.dims)) > 1024:
                # large constants (e.g. the zero logit bias) become shared outer initializers
                t = onnx.TensorProto()
                t.CopyFrom(node.attribute[0].t)
                t.name = prefix + node.output[0]
                ren[node.output[0]] = canon(t, used)
                continue
            nn_ = onnx.NodeProto()
            nn_.CopyFrom(node)
            nn_.name = prefix + node.name
            for i, x in enumerate(node.input):
                nn_.input[i] = rn(x)
            for i, x in enumerate(node.output):
                nn_.output[i] = rn(x)
            nodes.append(nn_)
        outs = []
        for o in g.output:
            out_name = prefix + "out/" + o.name
            nodes.append(helper.make_node("Identity", [rn(o.name)], [out_name], name=prefix + "out_id/" + o.name))
            outs.append(helper.make_tensor_value_info(out_name, TensorProto.FLOAT, None))
        return helper.make_graph(nodes, prefix.strip("/") + "_branch", [], outs)

    else_g = branch(ga, "no_past/")
    then_g = branch(gb, "with_past/")
    if_node = helper.make_node("If", ["use_cache_branch"], ["logits"] + pout, name="use_cache_branch_if",
                               then_branch=then_g, else_branch=else_g)
    graph = helper.make_graph([if_node], "whisper_decoder_merged", [], [], initializer=inits)
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)], producer_name="whisper_words_lib")
    m.ir_version = 8
    finish(m)


def count_initializer_bytes(path):
    import onnx
    m = onnx.load(path)
    return {i.name: int(np.prod(i.dims)) * 4 for i in m.graph.initializer}


# Tokens greedy decoding may not start with. OpenAI's configs also list <|endoftext|> (their
# models mark no speech with <|nospeech|> and timestamps, and an empty first step is an error
# there); this model is trained to answer noise and silence with <|endoftext|> straight after
# the prompt (text ""), so suppressing it forced a token out of noise: "." mostly, but also
# " This is a sound of" or a word (run 4: 7 of 75 noise clips; 1 of 75 without it).
BEGIN_SUPPRESS_TOKENS = [220]  # " " (a lone space)


def write_configs(out, dims, name="builtin/whisper-words", extra=None):
    d, H = dims["d"], dims["heads"]
    cfg = {
        "_name_or_path": name,
        "activation_dropout": 0.0,
        "activation_function": "gelu",
        "apply_spec_augment": False,
        "architectures": ["WhisperForConditionalGeneration"],
        "attention_dropout": 0.0,
        "begin_suppress_tokens": BEGIN_SUPPRESS_TOKENS,
        "bos_token_id": EOT,
        "classifier_proj_size": 256,
        "d_model": d,
        "decoder_attention_heads": H,
        "decoder_ffn_dim": dims["mlp"],
        "decoder_layerdrop": 0.0,
        "decoder_layers": dims["dec_layers"],
        "decoder_start_token_id": SOT,
        "dropout": 0.0,
        "encoder_attention_heads": H,
        "encoder_ffn_dim": dims["mlp"],
        "encoder_layerdrop": 0.0,
        "encoder_layers": dims["enc_layers"],
        "eos_token_id": EOT,
        "forced_decoder_ids": None,
        "init_std": 0.02,
        "is_encoder_decoder": True,
        "max_length": 448,
        "max_source_positions": 1500,
        "max_target_positions": 448,
        "median_filter_width": 7,
        "model_type": "whisper",
        "num_hidden_layers": dims["enc_layers"],
        "num_mel_bins": N_MELS,
        "pad_token_id": EOT,
        "scale_embedding": False,
        "suppress_tokens": [],
        "torch_dtype": "float32",
        "use_cache": True,
        "use_weighted_layer_sum": False,
        "vocab_size": VOCAB_SIZE,
        # No "transformers.js_config" dtype pin (as on the Hub): the built-in ships fp32 and q8 files
        # (tools/quantize_dynamic_q8.py) and callers pass the dtype they load.
    }
    if dims.get("factor_dim"):
        cfg["token_embedding_factor_dim"] = dims["factor_dim"]
    if extra:
        cfg.update(extra)
    with open(os.path.join(out, "config.json"), "w") as f:
        json.dump(cfg, f, indent=2)
    gen = {
        "begin_suppress_tokens": BEGIN_SUPPRESS_TOKENS,
        "bos_token_id": EOT,
        "decoder_start_token_id": SOT,
        "eos_token_id": EOT,
        "forced_decoder_ids": [[1, None], [2, TRANSCRIBE], [3, NOTIMESTAMPS]],
        "is_multilingual": True,
        "lang_to_id": LANG_IDS,
        "language": "en",
        "max_initial_timestamp_index": 50,
        "max_length": 448,
        "no_timestamps_token_id": NOTIMESTAMPS,
        "pad_token_id": EOT,
        "prev_sot_token_id": STARTOFPREV,
        "return_timestamps": False,
        "suppress_tokens": suppress_tokens(),
        "task": "transcribe",
        "task_to_id": {"transcribe": TRANSCRIBE, "translate": TRANSLATE},
    }
    with open(os.path.join(out, "generation_config.json"), "w") as f:
        json.dump(gen, f, indent=2)
    pre = {
        "chunk_length": CHUNK_LENGTH,
        "feature_extractor_type": "WhisperFeatureExtractor",
        "feature_size": N_MELS,
        "hop_length": HOP,
        "n_fft": N_FFT,
        "n_samples": N_SAMPLES,
        "nb_max_frames": N_FRAMES,
        "padding_side": "right",
        "padding_value": 0.0,
        "processor_class": "WhisperProcessor",
        "return_attention_mask": False,
        "sampling_rate": SAMPLE_RATE,
        # [80][201] (num_mel_filters x num_frequency_bins): transformers.js uses
        # mel_filters.length as the number of mel bins and flattens row-major as [80, 201]
        "mel_filters": mel_filters().astype(np.float64).tolist(),
    }
    with open(os.path.join(out, "preprocessor_config.json"), "w") as f:
        json.dump(pre, f)
    write_tokenizer_files(out)


# The fingerprint of state_from_onnx: parameter element k is exported as FINGERPRINT_OFFSET + k,
# exact in float32 (below 2^24 for up to ~8.4 M elements) and far from the graph's own constants.
FINGERPRINT_OFFSET = float(2 ** 23)


def _initializers_beside(model, folder):
    """For each of the two exported files: (file name, the initializers of `model` exported now,
    the initializers of the same file in `folder`), as name -> numpy array."""
    import tempfile
    import onnx
    from onnx import numpy_helper
    load = lambda path: {i.name: numpy_helper.to_array(i) for i in onnx.load(path).graph.initializer}
    with tempfile.TemporaryDirectory() as tmp:
        for name, export in (("encoder_model.onnx", export_encoder), ("decoder_model_merged.onnx", export_decoder)):
            export(model, os.path.join(tmp, name))
            yield name, load(os.path.join(tmp, name)), load(os.path.join(folder, "onnx", name))


@torch.no_grad()
def state_from_onnx(model, folder):
    """The state dict of `model` read back from the fp32 ONNX files it was exported to (`folder`
    with onnx/encoder_model.onnx and onnx/decoder_model_merged.onnx), for continuing the training
    of a shipped model whose torch checkpoint is gone.

    The export renames, transposes, slices and deduplicates weights (constant folding, the merged
    decoder), so names alone do not say which initializer holds which parameter. Instead `model`
    (same dims) is exported once with every state element set to FINGERPRINT_OFFSET + its global
    index: each element of each initializer of that export then names the state element it came
    from, and the same initializer of the shipped files holds its trained value. Raises if a
    trainable parameter is missing or two copies of one element disagree."""
    state = model.state_dict()
    keys = list(state)
    sizes = [state[k].numel() for k in keys]
    starts = np.cumsum([0] + sizes)
    if starts[-1] + FINGERPRINT_OFFSET >= 2 ** 24:
        raise ValueError(f"{starts[-1]} state elements do not fit the float32 fingerprint")
    probe = type(model)(**model.dims)
    probe.load_state_dict({k: torch.arange(starts[i], starts[i + 1], dtype=torch.float64).add_(FINGERPRINT_OFFSET)
                           .reshape(state[k].shape).to(state[k].dtype) for i, k in enumerate(keys)})
    probe.eval()
    flat = np.full(starts[-1], np.nan, dtype=np.float64)
    for name, marks, trained in _initializers_beside(probe, folder):
        for nm, mark in marks.items():
            if mark.dtype != np.float32:
                continue
            idx = mark.astype(np.float64).ravel() - FINGERPRINT_OFFSET
            if not (np.all(idx >= 0) and np.all(idx < starts[-1]) and np.all(idx == np.round(idx))):
                continue  # a constant of the graph, not a copy of state elements
            if nm not in trained or trained[nm].shape != mark.shape:
                raise ValueError(f"{name}: initializer {nm} {mark.shape} has no counterpart in {folder}")
            idx = idx.astype(np.int64)
            val = trained[nm].astype(np.float64).ravel()
            seen = ~np.isnan(flat[idx])
            if np.any(flat[idx][seen] != val[seen]):
                raise ValueError(f"{name}: initializer {nm} disagrees with another copy of the same weights")
            flat[idx] = val
    out = {}
    params = {k for k, _ in model.named_parameters()}
    for i, k in enumerate(keys):
        v = flat[starts[i]:starts[i + 1]]
        if np.isnan(v).any():
            if k in params:
                raise ValueError(f"parameter {k}: {int(np.isnan(v).sum())} of {v.size} elements in no initializer")
            out[k] = state[k].clone()  # a buffer the graph folded away (kept as built)
            continue
        out[k] = torch.from_numpy(v.reshape(state[k].shape)).to(state[k].dtype)
    # the check: exported again, the read-back state gives the shipped files' initializers exactly
    again = type(model)(**model.dims)
    again.load_state_dict(out)
    again.eval()
    for name, mine, trained in _initializers_beside(again, folder):
        if mine.keys() != trained.keys() or any(not np.array_equal(mine[n], trained[n]) for n in mine):
            raise ValueError(f"{name}: the read-back state does not export to the initializers of {folder}")
    return out
