with

source as (

    select * from {{ source('lakehouse', 'silver_device_heartbeat') }}

),

renamed as (

    select
        event_id as heartbeat_id,
        device_id,
        store_id,
        cast(ts as timestamp) as beat_at_utc,
        cast(uptime_s as double) as uptime_s,
        cast(spool_depth as bigint) as spool_depth,
        client_version,
        cast(ingest_time as timestamp) as ingested_at_utc

    from source

)

select * from renamed
