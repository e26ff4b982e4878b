with

hourly as (

    select * from {{ ref('stg_lakehouse__store_interaction_metrics') }}

),

daily as (

    select
        store_id,
        to_date(hour_start_utc) as metric_date,
        sum(interactions) as interactions,
        sum(transcripts) as transcripts,
        sum(words) as words,
        sum(confidence_sum) as confidence_sum,
        count(*) as active_hours

    from hourly
    group by store_id, to_date(hour_start_utc)

),

final as (

    select
        concat(store_id, '|', cast(metric_date as string)) as store_day_id,
        store_id,
        metric_date,
        interactions,
        transcripts,
        words,
        -- weighted by transcripts: an hour with ten transcripts counts ten times an hour with one
        {{ exact_ratio('confidence_sum', 'transcripts') }} as avg_confidence,
        active_hours

    from daily

)

select * from final
