with

source as (

    select * from {{ source('lakehouse', 'silver_annotated_events') }}

),

renamed as (

    select
        event_id as annotation_id,
        device_id,
        store_id,
        session_id,
        cast(ts as timestamp) as annotated_at_utc,
        label,
        zone_id,
        brand,
        origin,
        cast(ingest_time as timestamp) as ingested_at_utc

    from source

)

select * from renamed
