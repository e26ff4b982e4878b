-- The incremental branch reads these too (dbt cannot see refs inside is_incremental() at parse time).
-- depends_on: {{ ref('stg_lakehouse__annotated_events') }}
{{ config(materialized='incremental', incremental_strategy='merge', unique_key='interaction_id') }}

with

sessions as (

    select * from {{ ref('int_session_activity') }}

),

transcripts as (

    select * from {{ ref('stg_lakehouse__transcripts') }}
    where session_id is not null

),

detections as (

    select * from {{ ref('stg_lakehouse__visual_detections') }}
    where session_id is not null

),

stores as (

    select * from {{ ref('stg_retail_db__stores') }}

),

devices as (

    select * from {{ ref('stg_retail_db__edge_devices') }}

),

products as (

    select * from {{ ref('stg_retail_db__products') }}

),

brand_categories as (

    select
        brand,
        min(category) as category
    from products
    where not deleted_in_source
    group by brand

),

{% if is_incremental() %}
-- RetailAdvisorDB's reference data changed since the last build (the sync stamps a row's synced_at when
-- it mirrors a change in): the sessions of a renamed or moved store, of a device registered or moved, and
-- those naming a brand whose products changed are rebuilt with it, not only sessions with new events.
reference_changed_since as (

    select max(loaded_at_utc) - interval 1 hour as since from {{ this }}

),

changed_stores as (

    select stores.store_id
    from stores
    cross join reference_changed_since
    where stores.synced_at_utc > reference_changed_since.since

),

changed_devices as (

    select devices.device_id
    from devices
    cross join reference_changed_since
    where devices.synced_at_utc > reference_changed_since.since

),

changed_brands as (

    select distinct products.brand
    from products
    cross join reference_changed_since
    where products.synced_at_utc > reference_changed_since.since

),

reference_changed_sessions as (

    select
        sessions.device_id,
        sessions.session_id
    from sessions
    left semi join changed_stores on sessions.store_id = changed_stores.store_id
    union
    select
        sessions.device_id,
        sessions.session_id
    from sessions
    left semi join changed_devices on sessions.device_id = changed_devices.device_id
    union
    select
        transcripts.device_id,
        transcripts.session_id
    from transcripts
    left semi join changed_brands on transcripts.brand = changed_brands.brand

),

{% endif %}
{{ sessions_to_build('sessions', also='reference_changed_sessions') }},

said as (

    select
        transcripts.device_id,
        transcripts.session_id,
        {{ exact_mean('transcripts.sentiment') }} as avg_sentiment,
        concat_ws(', ', array_sort(collect_set(transcripts.brand))) as brands,
        concat_ws(', ', array_sort(collect_set(brand_categories.category))) as categories,
        -- every line of the session in the order it was said (the struct sorts on its first field)
        array_sort(collect_list(named_struct(
            'spoken_at_utc', transcripts.spoken_at_utc,
            'transcript_id', transcripts.transcript_id,
            'text', transcripts.transcript_text,
            'confidence', transcripts.confidence,
            'word_count', transcripts.word_count,
            'lang_code', transcripts.lang_code,
            'sentiment', transcripts.sentiment,
            'brand', transcripts.brand,
            'audio_url', transcripts.audio_url
        ))) as transcript_lines

    from transcripts
    left semi join sessions_to_build
        on
            transcripts.device_id = sessions_to_build.device_id
            and transcripts.session_id = sessions_to_build.session_id
    left join brand_categories on transcripts.brand = brand_categories.brand
    group by transcripts.device_id, transcripts.session_id

),

first_zone as (

    select
        detections.device_id,
        detections.session_id,
        min_by(detections.zone_id, detections.detected_at_utc) as zone_id

    from detections
    left semi join sessions_to_build
        on
            detections.device_id = sessions_to_build.device_id
            and detections.session_id = sessions_to_build.session_id
    group by detections.device_id, detections.session_id

),

final as (

    select
        concat(sessions_to_build.device_id, '|', sessions_to_build.session_id) as interaction_id,
        sessions_to_build.session_id,
        sessions_to_build.device_id,
        sessions_to_build.store_id,
        stores.store_name,
        stores.region,
        stores.city,
        devices.device_location,
        -- A store or device RetailAdvisorDB does not know yet (a device is often installed before it is
        -- registered): its interactions are kept, shown as unregistered, and named in a warning.
        stores.store_id is not null as store_registered,
        devices.device_id is not null as device_registered,
        first_zone.zone_id,
        to_date(sessions_to_build.started_at_utc) as interaction_date,
        sessions_to_build.started_at_utc,
        sessions_to_build.ended_at_utc,
        cast(
            unix_timestamp(sessions_to_build.ended_at_utc) - unix_timestamp(sessions_to_build.started_at_utc)
            as bigint
        ) as duration_s,
        sessions_to_build.dwell_s,
        sessions_to_build.transcripts,
        sessions_to_build.words,
        said.avg_sentiment,
        coalesce(said.brands, '') as brands,
        coalesce(said.categories, '') as categories,
        sessions_to_build.greeted,
        sessions_to_build.questions > 0 as asked,
        sessions_to_build.greeted_and_asked,
        coalesce(said.transcript_lines, array()) as transcript_lines,
        sessions_to_build.source_ingested_at_utc,
        current_timestamp() as loaded_at_utc

    from sessions_to_build
    left join said
        on sessions_to_build.device_id = said.device_id and sessions_to_build.session_id = said.session_id
    left join first_zone
        on sessions_to_build.device_id = first_zone.device_id and sessions_to_build.session_id = first_zone.session_id
    left join stores on sessions_to_build.store_id = stores.store_id
    left join devices on sessions_to_build.device_id = devices.device_id

)

select * from final
