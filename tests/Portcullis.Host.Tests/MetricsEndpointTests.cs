using Portcullis.Host.Daemon;

namespace Portcullis.Host.Tests;

public sealed class MetricsEndpointTests
{
    [Theory]
    [InlineData("GET /metrics HTTP/1.1", 200)]
    [InlineData("GET /metrics?name[]=x HTTP/1.0", 200)]
    [InlineData("HEAD /metrics HTTP/1.1", 200)]
    [InlineData("POST /metrics HTTP/1.1", 405)]
    [InlineData("GET / HTTP/1.1", 404)]
    [InlineData("GET /metrics/x HTTP/1.1", 404)]
    [InlineData("GET /metrics", 400)]
    [InlineData("GET /metrics SPDY/3", 400)]
    [InlineData("", 400)]
    [InlineData(null, 400)]
    public void Routes_only_get_of_metrics(string? requestLine, int status) => Assert.Equal(status, MetricsEndpoint.Route(requestLine));

    [Theory]
    [InlineData("127.0.0.1:9814", true)]
    [InlineData("[::1]:9814", true)]
    [InlineData("127.0.0.1", false)]
    [InlineData("127.0.0.1:0", false)]
    [InlineData("localhost:9814", false)]
    public void Parses_address_and_port(string text, bool ok) => Assert.Equal(ok, MetricsEndpoint.TryParseEndpoint(text, out _));
}
