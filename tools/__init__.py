"""Developer tools kept out of the Airflow image: benchmarks (``tools.benchmarks``) and a local Kafka
broker (``tools.kafka_broker``). Nothing under include/ or dags/ imports them."""
