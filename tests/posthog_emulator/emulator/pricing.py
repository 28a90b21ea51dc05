"""Model prices and PostHog's cost rules for LLM generations.

Rules (as in PostHog's ingestion):

* Anthropic reports ``$ai_input_tokens`` without cached tokens: cache reads cost 0.1x and cache
  writes 1.25x of the input price unless the table has explicit prices.
* Other providers include cached tokens in ``$ai_input_tokens``: cached reads are taken out of
  the regular input and billed at the cache-read price (0.5x of input when the table has none);
  cache writes, when reported, at the cache-write price (1x input when none).
* Output tokens (reasoning included) at the output price.
* A model missing from the table gets no cost at all.
"""

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Optional

DATA_FILE = Path(__file__).parent / "data" / "model_prices.json"
PROVIDER_PREFIXES = ("openai/", "anthropic/", "gemini/", "google/", "azure/", "bedrock/", "vertex_ai/")


@dataclass(frozen=True)
class ModelPrice:
    model: str
    provider: str
    input: float
    output: float
    cache_read: Optional[float]
    cache_write: Optional[float]


@dataclass(frozen=True)
class Costs:
    input_usd: float
    output_usd: float
    total_usd: float
    price: ModelPrice


@lru_cache(maxsize=1)
def price_table() -> dict:
    models = json.loads(DATA_FILE.read_text())["models"]
    return {
        name: ModelPrice(name, m["provider"], m["input"], m["output"], m.get("cache_read"), m.get("cache_write"))
        for name, m in models.items()
    }


@lru_cache(maxsize=4096)
def find_price(model: Optional[str]) -> Optional[ModelPrice]:
    """Exact id first, then the longest known id the (prefix-stripped) model name starts with."""
    if not isinstance(model, str) or not model:
        return None
    name = model.strip().lower()
    for prefix in PROVIDER_PREFIXES:
        if name.startswith(prefix):
            name = name[len(prefix):]
    table = price_table()
    if name in table:
        return table[name]
    candidates = [key for key in table if name.startswith(key)]
    if not candidates:
        return None
    return table[max(candidates, key=len)]


def _tokens(value) -> float:
    try:
        return max(float(value), 0.0) if value is not None and not isinstance(value, bool) else 0.0
    except (TypeError, ValueError):
        return 0.0


def compute_costs(properties: dict) -> Optional[Costs]:
    """Costs of one generation from its token counts, or None for an unknown model."""
    price = find_price(properties.get("$ai_model"))
    if price is None:
        return None
    input_tokens = _tokens(properties.get("$ai_input_tokens"))
    output_tokens = _tokens(properties.get("$ai_output_tokens"))
    cache_read = _tokens(properties.get("$ai_cache_read_input_tokens"))
    cache_write = _tokens(properties.get("$ai_cache_creation_input_tokens"))
    provider = str(properties.get("$ai_provider") or price.provider).lower()
    if provider == "anthropic" or price.provider == "anthropic":
        read_price = price.cache_read if price.cache_read is not None else price.input * 0.1
        write_price = price.cache_write if price.cache_write is not None else price.input * 1.25
        input_usd = input_tokens * price.input + cache_read * read_price + cache_write * write_price
    else:
        read_price = price.cache_read if price.cache_read is not None else price.input * 0.5
        write_price = price.cache_write if price.cache_write is not None else price.input
        regular = max(input_tokens - cache_read - cache_write, 0.0)
        input_usd = regular * price.input + cache_read * read_price + cache_write * write_price
    output_usd = output_tokens * price.output
    return Costs(input_usd, output_usd, input_usd + output_usd, price)
