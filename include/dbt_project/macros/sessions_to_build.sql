{#-
    For a per-session incremental mart over int_session_activity (`sessions`, a CTE name): the CTE
    `sessions_to_build`, every session on a full build; on an incremental run only the sessions whose
    transcripts, detections or annotations were ingested since the mart's last run (changed_since_last_run),
    and those of the CTE `also` names (device_id, session_id) when given, e.g. the sessions a change of
    reference data touched. Callers keep `-- depends_on:` comments for the three staging models: dbt
    cannot see refs inside is_incremental() at parse time.
-#}
{% macro sessions_to_build(sessions, also=none) %}
{% if is_incremental() %}
changed_sessions as (

    {{ changed_since_last_run(ref('stg_lakehouse__transcripts'), ['device_id', 'session_id']) }}
    union
    {{ changed_since_last_run(ref('stg_lakehouse__visual_detections'), ['device_id', 'session_id']) }}
    union
    {{ changed_since_last_run(ref('stg_lakehouse__annotated_events'), ['device_id', 'session_id']) }}
    {%- if also %}
    union
    select device_id, session_id from {{ also }}
    {%- endif %}

),

sessions_to_build as (

    select {{ sessions }}.*
    from {{ sessions }}
    left semi join changed_sessions
        on
            {{ sessions }}.device_id = changed_sessions.device_id
            and {{ sessions }}.session_id = changed_sessions.session_id

)
{% else %}
sessions_to_build as (

    select * from {{ sessions }}

)
{% endif %}
{% endmacro %}
