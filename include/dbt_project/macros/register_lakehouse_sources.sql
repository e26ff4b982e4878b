{#-
    Register every table of the `lakehouse` and `retail_db` sources as an external Delta table at its folder
    in the local lake (SCOUT_HOME/lake/<table>), so dbt-spark's session metastore can select from it.
    Databricks reads the same tables from Unity Catalog, so there this does nothing.
-#}
{% macro register_lakehouse_sources() %}
    {% if execute and target.type == 'spark' %}
        {% set lake = env_var('SCOUT_HOME', '.scout') ~ '/lake' %}
        {% for node in graph.sources.values() if node.source_name in ('lakehouse', 'retail_db') %}
            {% do run_query('create database if not exists ' ~ node.schema) %}
            {% do run_query(
                'create table if not exists ' ~ node.schema ~ '.' ~ node.identifier
                ~ " using delta location '" ~ lake ~ '/' ~ node.identifier ~ "'"
            ) %}
        {% endfor %}
    {% endif %}
    select 1
{% endmacro %}
