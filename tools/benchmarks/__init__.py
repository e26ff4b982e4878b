"""Benchmarks, one module each, run as ``python -m tools.benchmarks.<name>`` (or their make targets):

- ``throughput`` (`make bench`): the medallion against the JSON -> Delta floor, available-now
- ``latency`` (`make bench-latency`): Kafka -> gold in continuous mode, p50 / p95
- ``batch`` (`make bench-batch`): what one medallion micro-batch costs by its size
"""
