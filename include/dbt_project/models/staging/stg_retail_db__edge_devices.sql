with

source as (

    select * from {{ source('retail_db', 'ref_edge_devices') }}

),

renamed as (

    select
        device_id,
        store_id,
        location as device_location,
        zone_id,
        camera_angle,
        cast(audio_url_enabled as boolean) as audio_url_enabled,
        cast(is_active as boolean) as is_active,
        cast(deleted_in_source as boolean) as deleted_in_source,
        synced_at as synced_at_utc

    from source

)

select * from renamed
