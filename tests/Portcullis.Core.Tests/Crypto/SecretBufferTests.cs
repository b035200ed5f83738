using Portcullis.Core.Crypto;

namespace Portcullis.Core.Tests.Crypto;

public class SecretBufferTests
{
    [Fact]
    public void Dispose_zeroes_the_bytes_and_refuses_further_use()
    {
        var secret = new SecretBuffer([1, 2, 3, 4]);
        Span<byte> view = secret.Span;
        Assert.Equal(new byte[] { 1, 2, 3, 4 }, view.ToArray());
        secret.Dispose();
        // The view still points at the (pinned) array: it must now read as zeroes.
        Assert.Equal(new byte[4], view.ToArray());
        Assert.Throws<ObjectDisposedException>(() => secret.Span.Length);
        secret.Dispose();
    }
}
