-- The incremental branch reads these too (dbt cannot see refs inside is_incremental() at parse time).
-- depends_on: {{ ref('stg_lakehouse__heartbeats') }}
-- depends_on: {{ ref('stg_lakehouse__transcripts') }}
-- depends_on: {{ ref('stg_lakehouse__visual_detections') }}
{{ config(materialized='incremental', incremental_strategy='merge', unique_key='device_day_id') }}

{#- A silence between two heartbeats longer than this is offline time (gold's OFFLINE_AFTER_S). -#}
{% set offline_after_s = 3600 %}

with

heartbeats as (

    select
        *,
        to_date(beat_at_utc) as metric_date
    from {{ ref('stg_lakehouse__heartbeats') }}

),

transcripts as (

    select
        *,
        to_date(spoken_at_utc) as metric_date
    from {{ ref('stg_lakehouse__transcripts') }}

),

detections as (

    select
        *,
        to_date(detected_at_utc) as metric_date
    from {{ ref('stg_lakehouse__visual_detections') }}

),

{% if is_incremental() %}
changed as (

    select distinct
        device_id,
        to_date(at_utc) as metric_date
    from (
        {{ changed_since_last_run(ref('stg_lakehouse__heartbeats'), ['device_id', 'beat_at_utc as at_utc']) }}
        union all
        {{ changed_since_last_run(ref('stg_lakehouse__transcripts'), ['device_id', 'spoken_at_utc as at_utc']) }}
        union all
        {{ changed_since_last_run(
            ref('stg_lakehouse__visual_detections'), ['device_id', 'detected_at_utc as at_utc']
        ) }}
    ) as touched

),
{% endif %}

gaps as (

    select
        *,
        unix_timestamp(beat_at_utc)
        - unix_timestamp(lag(beat_at_utc) over (partition by device_id, metric_date order by beat_at_utc))
            as gap_s

    from heartbeats

),

health as (

    select
        device_id,
        metric_date,
        max_by(store_id, beat_at_utc) as store_id,
        max_by(client_version, beat_at_utc) as client_version,
        count(*) as heartbeats,
        max(uptime_s) as max_uptime_s,
        cast(coalesce(sum(case when gap_s > {{ offline_after_s }} then gap_s end), 0) as bigint) as offline_s,
        max(spool_depth) as max_spool_depth,
        max(ingested_at_utc) as ingested_at_utc

    from gaps
    group by device_id, metric_date

),

heard as (

    select
        device_id,
        metric_date,
        min(store_id) as store_id,
        count(*) as transcripts,
        {{ exact_mean('confidence') }} as avg_transcript_confidence,
        max(ingested_at_utc) as ingested_at_utc

    from transcripts
    group by device_id, metric_date

),

seen as (

    select
        device_id,
        metric_date,
        min(store_id) as store_id,
        count(*) as detections,
        max(ingested_at_utc) as ingested_at_utc

    from detections
    group by device_id, metric_date

),

device_days as (

    select
        device_id,
        metric_date
    from health
    union
    select
        device_id,
        metric_date
    from heard
    union
    select
        device_id,
        metric_date
    from seen

),

{% if is_incremental() %}
days_to_build as (

    select device_days.*
    from device_days
    left semi join changed
        on device_days.device_id = changed.device_id and device_days.metric_date = changed.metric_date

),
{% else %}
days_to_build as (

    select * from device_days

),
{% endif %}

final as (

    select
        concat(device_day.device_id, '|', cast(device_day.metric_date as string)) as device_day_id,
        device_day.device_id,
        coalesce(health.store_id, heard.store_id, seen.store_id) as store_id,
        device_day.metric_date,
        health.client_version,
        coalesce(health.heartbeats, 0) as heartbeats,
        health.max_uptime_s,
        health.offline_s,
        health.max_spool_depth,
        coalesce(heard.transcripts, 0) + coalesce(seen.detections, 0) as events,
        coalesce(heard.transcripts, 0) as transcripts,
        coalesce(seen.detections, 0) as detections,
        heard.avg_transcript_confidence,
        greatest(health.ingested_at_utc, heard.ingested_at_utc, seen.ingested_at_utc) as source_ingested_at_utc,
        current_timestamp() as loaded_at_utc

    from days_to_build as device_day
    left join health on device_day.device_id = health.device_id and device_day.metric_date = health.metric_date
    left join heard on device_day.device_id = heard.device_id and device_day.metric_date = heard.metric_date
    left join seen on device_day.device_id = seen.device_id and device_day.metric_date = seen.metric_date

)

select * from final
