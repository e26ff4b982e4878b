-- The incremental branch reads these too (dbt cannot see refs inside is_incremental() at parse time).
-- depends_on: {{ ref('stg_lakehouse__transcripts') }}
{{ config(materialized='incremental', incremental_strategy='merge', unique_key='brand_day_id') }}

with

transcripts as (

    select
        *,
        to_date(spoken_at_utc) as metric_date
    from {{ ref('stg_lakehouse__transcripts') }}
    where brand is not null

),

{% if is_incremental() %}
changed as (

    select distinct
        store_id,
        to_date(spoken_at_utc) as metric_date
    from ({{ changed_since_last_run(ref("stg_lakehouse__transcripts"), ["store_id", "spoken_at_utc"]) }}) as touched

),

mentions as (

    select transcripts.*
    from transcripts
    left semi join changed
        on transcripts.store_id = changed.store_id and transcripts.metric_date = changed.metric_date

),
{% else %}
mentions as (

    select * from transcripts

),
{% endif %}

per_brand as (

    select
        store_id,
        brand,
        metric_date,
        count(*) as mentions,
        count_if(is_question) as questions,
        {{ exact_mean('sentiment') }} as avg_sentiment,
        -- VADER's convention: positive at >= 0.05, negative at <= -0.05
        count_if(sentiment >= 0.05) as positive_mentions,
        count_if(sentiment <= -0.05) as negative_mentions,
        max(ingested_at_utc) as source_ingested_at_utc

    from mentions
    group by store_id, brand, metric_date

),

final as (

    select
        concat(store_id, '|', brand, '|', cast(metric_date as string)) as brand_day_id,
        store_id,
        brand,
        metric_date,
        mentions,
        questions,
        avg_sentiment,
        positive_mentions,
        negative_mentions,
        -- the brand's share of every brand mention in the store that day
        round(mentions / sum(mentions) over (partition by store_id, metric_date), 4) as share_of_mentions,
        source_ingested_at_utc,
        current_timestamp() as loaded_at_utc

    from per_brand

)

select * from final
