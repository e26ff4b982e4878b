with

source as (

    select * from {{ source('lakehouse', 'gold_store_interaction_metrics') }}

),

renamed as (

    select
        concat(store_id, '|', date_format(hour_start, 'yyyy-MM-dd HH')) as store_hour_id,
        store_id,
        cast(hour_start as timestamp) as hour_start_utc,
        cast(interactions as bigint) as interactions,
        cast(transcripts as bigint) as transcripts,
        cast(active_devices as bigint) as active_devices,
        cast(words as bigint) as words,
        cast(confidence_sum as double) as confidence_sum,
        cast(last_event_ts as timestamp) as last_event_at_utc,
        cast(updated_at as timestamp) as loaded_at_utc

    from source

)

select * from renamed
