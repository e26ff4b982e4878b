"""Transcript sentiment (VADER) and brand mentions, aggregated per store, brand and UTC day.

VADER's compound score runs from -1 (negative) to +1 (positive); by its authors' convention a transcript
is positive at >= 0.05, negative at <= -0.05, neutral between. The brand is the first catalog brand the
transcript names (include/catalog.py), "(none)" when it names none.
"""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

from include.catalog import brand_mentioned

POSITIVE, NEGATIVE = 0.05, -0.05
NO_BRAND = "(none)"
KEYS = ["store_id", "brand", "day"]

_analyzer = None


def compound(text: str | None) -> float | None:
    global _analyzer
    if text is None:
        return None
    if _analyzer is None:  # once per Python worker: loading the lexicon takes ~50 ms
        from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

        _analyzer = SentimentIntensityAnalyzer()
    return _analyzer.polarity_scores(text)["compound"]


# Wrapped in lambdas: given the typed functions, pyspark 4 tries (and warns) to infer a pandas UDF type.
_compound = F.udf(lambda text: compound(text), T.DoubleType())
_brand = F.udf(lambda text: brand_mentioned(text), T.StringType())


def scored(transcripts: DataFrame) -> DataFrame:
    """Per transcript: its brand, its compound score and its UTC day."""
    return transcripts.select(
        "store_id",
        F.coalesce(_brand("text"), F.lit(NO_BRAND)).alias("brand"),
        F.to_date("ts").alias("day"),
        _compound("text").alias("compound"),
    )


def by_store_brand_day(scored_transcripts: DataFrame) -> DataFrame:
    c = F.col("compound")
    return scored_transcripts.groupBy(*KEYS).agg(
        F.count(F.lit(1)).alias("transcripts"),
        F.round(F.avg(c), 4).alias("avg_compound"),
        F.count(F.when(c >= POSITIVE, 1)).alias("positive"),
        F.count(F.when(c <= NEGATIVE, 1)).alias("negative"),
        F.count(F.when((c > NEGATIVE) & (c < POSITIVE), 1)).alias("neutral"),
    )
