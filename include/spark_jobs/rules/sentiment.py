"""Transcript sentiment (VADER) and brand mentions, aggregated per store, brand and UTC day.

Each transcript is scored once, when silver takes it in (``with_sentiment`` adds its ``sentiment``
column); gold only aggregates the stored scores, so recomputing a store-day never runs VADER again.

VADER's compound score runs from -1 (negative) to +1 (positive); by its authors' convention a transcript
is positive at >= 0.05, negative at <= -0.05, neutral between. The brand is the first catalog brand the
transcript names (include/catalog.py), "(none)" when it names none.
"""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

from include.spark_jobs.rules.interactions import brand_of
from include.spark_jobs.tables import GOLD_TRANSCRIPT_SENTIMENT, keys

POSITIVE, NEGATIVE = 0.05, -0.05
NO_BRAND = "(none)"
KEYS = keys(GOLD_TRANSCRIPT_SENTIMENT)  # what a row of the gold table is per
SCORE = "sentiment"

_analyzer = None


def compound(text: str | None) -> float | None:
    global _analyzer
    if text is None:
        return None
    if _analyzer is None:  # once per Python worker: loading the lexicon takes ~50 ms
        from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

        _analyzer = SentimentIntensityAnalyzer()
    return _analyzer.polarity_scores(text)["compound"]


# Wrapped in a lambda: given the typed function, pyspark 4 tries (and warns) to infer a pandas UDF type.
_compound = F.udf(lambda text: compound(text), T.DoubleType())


def with_sentiment(transcripts: DataFrame) -> DataFrame:
    """The transcripts with their VADER compound score (``sentiment``)."""
    return transcripts.withColumn(SCORE, _compound("text"))


def by_store_brand_day(transcripts: DataFrame) -> DataFrame:
    """Scored transcripts (``with_sentiment``) -> one row per store, brand and UTC day."""
    c = F.col(SCORE)
    keyed = transcripts.select(
        "store_id", F.coalesce(brand_of(F.col("text")), F.lit(NO_BRAND)).alias("brand"), F.to_date("ts").alias("day"), c
    )
    return keyed.groupBy(*KEYS).agg(
        F.count(F.lit(1)).alias("transcripts"),
        F.round(F.avg(c), 4).alias("avg_compound"),
        F.count(F.when(c >= POSITIVE, 1)).alias("positive"),
        F.count(F.when(c <= NEGATIVE, 1)).alias("negative"),
        F.count(F.when((c > NEGATIVE) & (c < POSITIVE), 1)).alias("neutral"),
    )
