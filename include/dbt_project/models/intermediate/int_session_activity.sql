with

transcripts as (

    select * from {{ ref('stg_lakehouse__transcripts') }}
    where session_id is not null

),

detections as (

    select * from {{ ref('stg_lakehouse__visual_detections') }}
    where session_id is not null

),

annotations as (

    select * from {{ ref('stg_lakehouse__annotated_events') }}
    where session_id is not null

),

said as (

    select
        device_id,
        session_id,
        min(store_id) as store_id,
        count(*) as transcripts,
        count_if(is_question) as questions,
        sum(word_count) as words,
        min(spoken_at_utc) as first_said_at_utc,
        max(spoken_at_utc) as last_said_at_utc,
        bool_or(is_greeting) as greeted,
        -- sorted and once each, as text: the same on every engine and in the JSON export
        concat_ws(', ', array_sort(collect_set(case when is_question then brand end))) as brands_asked,
        size(collect_set(case when is_question then brand end)) as brands_asked_count,
        max(ingested_at_utc) as ingested_at_utc

    from transcripts
    group by device_id, session_id

),

seen as (

    select
        device_id,
        session_id,
        min(store_id) as store_id,
        min(detected_at_utc) as first_seen_at_utc,
        max(detected_at_utc) as last_seen_at_utc,
        count(distinct zone_id) as zones,
        max(dwell_s) as dwell_s,
        max(ingested_at_utc) as ingested_at_utc

    from detections
    group by device_id, session_id

),

greeted_and_asked as (

    select
        device_id,
        session_id,
        max(ingested_at_utc) as ingested_at_utc

    from annotations
    where label = 'Greeted + Asked'
    group by device_id, session_id

),

final as (

    select
        coalesce(said.device_id, seen.device_id) as device_id,
        coalesce(said.session_id, seen.session_id) as session_id,
        coalesce(said.store_id, seen.store_id) as store_id,
        -- least/greatest skip nulls: a session only seen (or only heard) so far still has its span
        least(said.first_said_at_utc, seen.first_seen_at_utc) as started_at_utc,
        greatest(said.last_said_at_utc, seen.last_seen_at_utc) as ended_at_utc,
        coalesce(seen.zones, 0) as zones,
        seen.dwell_s,
        coalesce(said.transcripts, 0) as transcripts,
        coalesce(said.questions, 0) as questions,
        coalesce(said.words, 0) as words,
        coalesce(said.greeted, false) as greeted,
        coalesce(said.brands_asked, '') as brands_asked,
        coalesce(said.brands_asked_count, 0) as brands_asked_count,
        greeted_and_asked.session_id is not null as greeted_and_asked,
        greatest(said.ingested_at_utc, seen.ingested_at_utc, greeted_and_asked.ingested_at_utc)
            as source_ingested_at_utc

    from said
    full outer join seen
        on said.device_id = seen.device_id and said.session_id = seen.session_id
    left join greeted_and_asked
        on
            coalesce(said.device_id, seen.device_id) = greeted_and_asked.device_id
            and coalesce(said.session_id, seen.session_id) = greeted_and_asked.session_id

)

select * from final
