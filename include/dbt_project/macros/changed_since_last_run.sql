{#-
    For an incremental mart: the rows of `relation` ingested since the mart's last run, as the distinct
    `keys` they touch; the mart recomputes those keys whole and MERGEs them. The last run is the newest
    source ingest time the mart has seen (its `source_ingested_at_utc`), less a lookback: a micro-batch
    committed after a later one's rows were read still lands (recomputing a key twice changes nothing).
-#}
{% macro changed_since_last_run(relation, keys, lookback='interval 1 hour') %}
    select distinct {{ keys | join(', ') }}
    from {{ relation }}
    where ingested_at_utc > (select max(source_ingested_at_utc) from {{ this }}) - {{ lookback }}
{% endmacro %}
