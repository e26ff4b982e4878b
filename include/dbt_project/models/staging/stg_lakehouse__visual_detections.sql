with

source as (

    select * from {{ source('lakehouse', 'silver_visual_detections') }}

),

renamed as (

    select
        event_id as detection_id,
        device_id,
        store_id,
        session_id,
        cast(ts as timestamp) as detected_at_utc,
        zone_id,
        cast(faces as bigint) as faces,
        cast(people as bigint) as people,
        cast(dwell_s as double) as dwell_s,
        cast(ingest_time as timestamp) as ingested_at_utc

    from source

)

select * from renamed
