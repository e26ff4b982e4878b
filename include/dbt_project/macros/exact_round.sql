{#-
    The mean of `column`, or `numerator` / `denominator`, rounded to `places` decimals the same way whatever
    order Spark added the doubles up in: through decimal(18, 6), exact for sums and means of values with at
    most six decimals (confidence,
    VADER's sentiment), so a mean that lies on a tie (0.86285) is rounded half up every time, not 0.8628 or
    0.8629 by the file layout of the micro-batches that wrote its rows.
-#}
{% macro exact_mean(column, places=4) %}
    cast(round(avg(cast({{ column }} as decimal(18, 6))), {{ places }}) as double)
{% endmacro %}

{% macro exact_ratio(numerator, denominator, places=4) %}
    cast(round(cast({{ numerator }} as decimal(18, 6)) / {{ denominator }}, {{ places }}) as double)
{% endmacro %}
