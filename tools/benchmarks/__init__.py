"""Benchmarks, one module each, run as ``python -m tools.benchmarks.<name>`` (or their make targets):

- ``throughput`` (`make bench`): the medallion against the JSON -> Delta floor, available-now
- ``latency`` (`make bench-latency`): Kafka -> silver and gold in continuous mode against the bronze floor,
  p50 / p95 and their ratios, whether the job kept up
- ``batch`` (`make bench-batch`): what one medallion micro-batch costs by its size (time, Spark jobs, Delta
  commits), on an empty or prefilled lake, and an idle trigger
"""
