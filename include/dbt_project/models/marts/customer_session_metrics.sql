-- The incremental branch reads these too (dbt cannot see refs inside is_incremental() at parse time).
-- depends_on: {{ ref('stg_lakehouse__transcripts') }}
-- depends_on: {{ ref('stg_lakehouse__visual_detections') }}
-- depends_on: {{ ref('stg_lakehouse__annotated_events') }}
{{ config(materialized='incremental', incremental_strategy='merge', unique_key='session_key') }}

with

sessions as (

    select * from {{ ref('int_session_activity') }}

),

{{ sessions_to_build('sessions') }},

final as (

    select
        concat(device_id, '|', session_id) as session_key,
        session_id,
        store_id,
        device_id,
        to_date(started_at_utc) as session_date,
        started_at_utc,
        ended_at_utc,
        cast(unix_timestamp(ended_at_utc) - unix_timestamp(started_at_utc) as bigint) as duration_s,
        zones,
        dwell_s,
        transcripts,
        questions,
        words,
        brands_asked,
        brands_asked_count,
        greeted,
        greeted_and_asked,
        source_ingested_at_utc,
        current_timestamp() as loaded_at_utc

    from sessions_to_build

)

select * from final
