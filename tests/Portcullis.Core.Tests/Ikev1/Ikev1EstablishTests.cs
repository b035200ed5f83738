using Portcullis.Core.Config;
using Portcullis.Core.Ikev1;
using Portcullis.Core.Ikev2;
using Portcullis.Core.Tests.Ikev2;

namespace Portcullis.Core.Tests.Ikev1;

public class Ikev1EstablishTests
{
    private static (ChildSa Left, ChildSa Right) Installed(EnginePair pair)
    {
        ChildSa l = Assert.Single(pair.Events<ChildSaInstalled>(Side.Left)).ChildSa;
        ChildSa r = Assert.Single(pair.Events<ChildSaInstalled>(Side.Right)).ChildSa;
        return (l, r);
    }

    private static void AssertKeysMatch(ChildSa l, ChildSa r)
    {
        Assert.Equal(l.InboundSpi, r.OutboundSpi);
        Assert.Equal(l.OutboundSpi, r.InboundSpi);
        Assert.Equal(l.OutboundEncryptionKey.ReadOnlySpan.ToArray(), r.InboundEncryptionKey.ReadOnlySpan.ToArray());
        Assert.Equal(l.InboundEncryptionKey.ReadOnlySpan.ToArray(), r.OutboundEncryptionKey.ReadOnlySpan.ToArray());
        Assert.Equal(l.OutboundIntegrityKey.ReadOnlySpan.ToArray(), r.InboundIntegrityKey.ReadOnlySpan.ToArray());
        Assert.NotEqual(l.OutboundEncryptionKey.ReadOnlySpan.ToArray(), l.InboundEncryptionKey.ReadOnlySpan.ToArray());
    }

    [Theory]
    [InlineData("aes128-sha256-modp2048", "aes128-sha256")]
    [InlineData("aes256-sha1-modp2048", "aes256-sha1-modp2048")]
    [InlineData("3des-sha1-modp1024", "3des-sha1")]
    [InlineData("aes256-sha384-ecp384", "aes256gcm16-ecp256")]
    public void Main_Mode_and_Quick_Mode_with_a_PSK(string ike, string esp)
    {
        EnginePair pair = Ikev1Pair.Create(ike, esp);
        pair.Establish();
        (ChildSa l, ChildSa r) = Installed(pair);
        AssertKeysMatch(l, r);
        Assert.Equal(esp, l.Proposal.ToString());
        Assert.Equal(1, l.Owner.IkeVersion);
        IsakmpSa sa = Assert.Single(pair.Left.Ikev1.Sas);
        Assert.Equal(IsakmpSaState.Established, sa.State);
        Assert.Equal(Phase1Mode.Main, sa.Mode);
        Assert.Equal("right.example", sa.RemoteId!.ToString());
        Assert.Equal(IsakmpSaState.Established, Assert.Single(pair.Right.Ikev1.Sas).State);
        Assert.False(sa.UdpEncapsulation);
        Assert.Empty(pair.LeftLog.Warnings);
        Assert.Empty(pair.RightLog.Warnings);
        pair.AssertNothingPending(pair.Left);
        pair.AssertNothingPending(pair.Right);
    }
}
