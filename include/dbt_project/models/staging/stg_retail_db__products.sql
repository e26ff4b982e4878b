with

source as (

    select * from {{ source('retail_db', 'ref_products') }}

),

renamed as (

    select
        sku,
        cast(product_id as bigint) as product_id,
        name as product_name,
        brand,
        category,
        cast(is_active as boolean) as is_active,
        cast(deleted_in_source as boolean) as deleted_in_source,
        synced_at as synced_at_utc

    from source

)

select * from renamed
