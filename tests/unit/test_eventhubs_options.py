from __future__ import annotations

import pytest

from include.spark_jobs.sources import eventhubs_kafka_options

CONN = "Endpoint=sb://scout-prod.servicebus.windows.net/;SharedAccessKeyName=listen;SharedAccessKey=abc+/=;"


def test_the_kafka_endpoint_uses_sasl_ssl_with_the_connection_string_as_password():
    bootstrap, options = eventhubs_kafka_options(CONN, databricks=False)
    assert bootstrap == "scout-prod.servicebus.windows.net:9093"
    assert options["kafka.security.protocol"] == "SASL_SSL"
    assert options["kafka.sasl.mechanism"] == "PLAIN"
    assert options["kafka.sasl.jaas.config"] == (
        'org.apache.kafka.common.security.plain.PlainLoginModule required username="$ConnectionString"'
        f' password="{CONN}";'
    )


def test_databricks_gets_the_shaded_login_module():
    _, options = eventhubs_kafka_options(CONN, databricks=True)
    assert options["kafka.sasl.jaas.config"].startswith("kafkashaded.org.apache.kafka.common.security.plain.")


def test_a_string_that_is_not_an_event_hubs_connection_string_is_refused():
    with pytest.raises(ValueError, match="starts with Endpoint=sb://"):
        eventhubs_kafka_options("HostName=iot.azure-devices.net;SharedAccessKey=x", databricks=False)
