"""The AudioURL rollback: AudioURL (the link to a transcript's recorded clip) taken away or brought back
end to end. The scout_audio_url_rollback DAG runs these steps (include/orchestration/rollback.py), each
its own task, each idempotent, each with a dry run that reports and changes nothing:

1. database: RetailAdvisorDB to 0009 (deprecate: the column dropped, its values archived) or to head
   (restore: the column and every archived value back), through the migrations (``database``);
2. pipeline: the running stream's ``audio_url`` flag (read every micro-batch, no restart), and silver's
   stored values cleared (deprecate) or filled back from bronze, which keeps every payload verbatim
   (restore); the mart sales_interactions_enriched rebuilt (``pipeline``);
3. dashboard: the exports published again, with or without the clip links; RetailAdvisorDB's
   interactions written again, so AudioURL is filled for every transcript;
4. devices: every device in scope (``stores`` / ``devices``) gets a configuration with
   ``audio_url_enabled`` (and its store's catalog brands as hotwords) through the fleet's channel;
   acknowledgements (the version each device's heartbeat reports) are recorded, the rest pending
   (include/fleet);
5. validation: the sample dataset taken through a scratch copy of the lake and RetailAdvisorDB, never
   production's (``scratch``), and its AudioURL values checked transcript by transcript at every layer
   there: bronze, silver, the mart, the export and RetailAdvisorDB (``validate``).

The database and pipeline steps are fleet-wide (one column, one stream); ``stores`` and ``devices`` scope
the devices step.
"""
