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
        cast(is_active as boolean) as is_active

    from source
    where not deleted_in_source

)

select * from renamed
