with

source as (

    select * from {{ source('retail_db', 'ref_stores') }}

),

renamed as (

    select
        store_id,
        name as store_name,
        region,
        city,
        cast(is_active as boolean) as is_active,
        cast(deleted_in_source as boolean) as deleted_in_source,
        synced_at as synced_at_utc

    from source

)

select * from renamed
