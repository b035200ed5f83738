using Portcullis.Core.Metrics;

namespace Portcullis.Core.Tests.Metrics;

public sealed class PrometheusTextTests
{
    [Fact]
    public void Counters_gauges_and_labels_in_the_text_format()
    {
        var w = new PrometheusTextWriter();
        w.Family("portcullis_child_sa_bytes_total", MetricType.Counter, "ESP bytes.")
            .Sample(1234, ("conn", "gw"), ("direction", "in"))
            .Sample(0, ("conn", "gw"), ("direction", "out"));
        w.Family("portcullis_ike_half_open", MetricType.Gauge, "Half-open.").Sample(3);
        Assert.Equal("""
            # HELP portcullis_child_sa_bytes_total ESP bytes.
            # TYPE portcullis_child_sa_bytes_total counter
            portcullis_child_sa_bytes_total{conn="gw",direction="in"} 1234
            portcullis_child_sa_bytes_total{conn="gw",direction="out"} 0
            # HELP portcullis_ike_half_open Half-open.
            # TYPE portcullis_ike_half_open gauge
            portcullis_ike_half_open 3

            """.ReplaceLineEndings("\n"), w.ToString());
        Assert.Empty(ExpositionValidator.Validate(w.ToString()));
    }

    [Fact]
    public void Label_values_and_help_are_escaped()
    {
        var w = new PrometheusTextWriter();
        w.Family("m", MetricType.Gauge, "a \\ b\nc").Sample(1, ("conn", "we\"ird\\na\nme"));
        Assert.Equal("# HELP m a \\\\ b\\nc\n# TYPE m gauge\nm{conn=\"we\\\"ird\\\\na\\nme\"} 1\n", w.ToString());
        Assert.Empty(ExpositionValidator.Validate(w.ToString()));
    }

    [Fact]
    public void A_histogram_has_cumulative_buckets_an_Inf_bucket_a_sum_and_a_count()
    {
        var h = new Histogram([0.1, 1, 10]);
        // Binary fractions, so the sum is exact.
        foreach (double v in (double[])[0.0625, 0.125, 0.5, 2, 32]) h.Observe(v);
        var w = new PrometheusTextWriter();
        w.Family("portcullis_ike_handshake_seconds", MetricType.Histogram, "Latency.").Histogram(h.Snapshot());
        Assert.Equal("""
            # HELP portcullis_ike_handshake_seconds Latency.
            # TYPE portcullis_ike_handshake_seconds histogram
            portcullis_ike_handshake_seconds_bucket{le="0.1"} 1
            portcullis_ike_handshake_seconds_bucket{le="1"} 3
            portcullis_ike_handshake_seconds_bucket{le="10"} 4
            portcullis_ike_handshake_seconds_bucket{le="+Inf"} 5
            portcullis_ike_handshake_seconds_sum 34.6875
            portcullis_ike_handshake_seconds_count 5

            """.ReplaceLineEndings("\n"), w.ToString());
        Assert.Empty(ExpositionValidator.Validate(w.ToString()));
    }

    [Fact]
    public void An_empty_histogram_is_valid()
    {
        var w = new PrometheusTextWriter();
        w.Family("h", MetricType.Histogram, "x").Histogram(new Histogram([1, 2]).Snapshot());
        Assert.Empty(ExpositionValidator.Validate(w.ToString()));
        Assert.Contains("h_bucket{le=\"+Inf\"} 0\n", w.ToString());
    }

    [Theory]
    [InlineData("9lives")]
    [InlineData("has-dash")]
    [InlineData("")]
    public void Invalid_metric_names_are_refused(string name) =>
        Assert.Throws<ArgumentException>(() => new PrometheusTextWriter().Family(name, MetricType.Gauge, "x"));

    [Theory]
    [InlineData("__reserved")]
    [InlineData("le:x")]
    [InlineData("1a")]
    public void Invalid_label_names_are_refused(string label) =>
        Assert.Throws<ArgumentException>(() => new PrometheusTextWriter().Family("m", MetricType.Gauge, "x").Sample(1, (label, "v")));

    [Fact]
    public void A_family_is_never_written_twice()
    {
        var w = new PrometheusTextWriter();
        w.Family("m", MetricType.Gauge, "x").Sample(1);
        Assert.Throws<InvalidOperationException>(() => w.Family("m", MetricType.Gauge, "x"));
    }

    [Fact]
    public void Numbers_are_written_as_Prometheus_reads_them()
    {
        Assert.Equal("+Inf", PrometheusTextWriter.Number(double.PositiveInfinity));
        Assert.Equal("-Inf", PrometheusTextWriter.Number(double.NegativeInfinity));
        Assert.Equal("NaN", PrometheusTextWriter.Number(double.NaN));
        Assert.Equal("1E+20", PrometheusTextWriter.Number(1e20));
        Assert.Equal("0.25", PrometheusTextWriter.Number(0.25));
    }

    // The validator itself must catch what it is there to catch, or the tests above prove nothing.
    [Theory]
    [InlineData("m 1", "end with a line feed")]
    [InlineData("# TYPE m counter\nm -1\n", "negative counter")]
    [InlineData("# TYPE m gauge\nm 1\n# TYPE n gauge\nn 1\nm 2\n", "split")]
    [InlineData("# TYPE m gauge\nm{a=\"1\"} 1\nm{a=\"1\"} 2\n", "duplicate series")]
    [InlineData("# TYPE m gauge\nm{a=\"x\\q\"} 1\n", "bad labels")]
    [InlineData("# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 1\nh_sum 1\nh_count 1\n", "not cumulative")]
    [InlineData("# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_sum 1\nh_count 1\n", "no +Inf bucket")]
    [InlineData("# TYPE h histogram\nh_bucket{le=\"+Inf\"} 2\nh_sum 1\nh_count 1\n", "_count differs")]
    [InlineData("m 1\n# TYPE m gauge\n", "after its samples")]
    [InlineData("# TYPE m gauge\nm one\n", "bad value")]
    [InlineData("# TYPE m gauge\nm{a=\"1\"}\n", "not a sample")]
    public void The_validator_rejects_invalid_expositions(string text, string expected) =>
        Assert.Contains(ExpositionValidator.Validate(text), e => e.Contains(expected, StringComparison.Ordinal));
}
