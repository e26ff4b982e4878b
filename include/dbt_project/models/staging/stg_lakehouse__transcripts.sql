with

source as (

    select * from {{ source('lakehouse', 'silver_transcripts') }}

),

renamed as (

    select
        event_id as transcript_id,
        device_id,
        store_id,
        session_id,
        cast(ts as timestamp) as spoken_at_utc,
        text as transcript_text,
        cast(word_count as bigint) as word_count,
        language as lang_code,
        cast(confidence as double) as confidence,
        audio_url,
        cast(sentiment as double) as sentiment,
        cast(is_greeting as boolean) as is_greeting,
        cast(is_question as boolean) as is_question,
        brand,
        cast(ingest_time as timestamp) as ingested_at_utc

    from source

)

select * from renamed
