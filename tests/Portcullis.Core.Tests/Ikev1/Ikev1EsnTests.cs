using Portcullis.Core.Ikev1;
using Portcullis.Core.Ikev1.Wire;
using Portcullis.Core.Ikev2;
using Portcullis.Core.Tests.Ikev2;

namespace Portcullis.Core.Tests.Ikev1;

/// <summary>Extended sequence numbers in Quick Mode (RFC 4304: SA attribute 11, value 1), as strongSwan's IKEv1 sends them.</summary>
public class Ikev1EsnTests
{
    [Theory]
    [InlineData("aes128gcm16-esn", "aes128gcm16-esn", true)]
    [InlineData("aes128gcm16-esn-noesn", "aes128gcm16-esn", true)]
    [InlineData("aes128gcm16-noesn-esn", "aes128gcm16-esn-noesn", true)] // the responder's configured order wins
    [InlineData("aes128gcm16-esn-noesn", "aes128gcm16", false)]
    [InlineData("aes256-sha256-esn", "aes256-sha256-esn", true)]
    [InlineData("aes256-sha256", "aes256-sha256", false)]
    public void Quick_Mode_negotiates_esn_and_it_reaches_the_child(string leftEsp, string rightEsp, bool esn)
    {
        EnginePair pair = Ikev1Pair.Create(esp: leftEsp, rightEsp: rightEsp);
        pair.Establish();
        ChildSa l = Assert.Single(pair.Events<ChildSaInstalled>(Side.Left)).ChildSa;
        ChildSa r = Assert.Single(pair.Events<ChildSaInstalled>(Side.Right)).ChildSa;
        Assert.Equal(esn, l.Proposal.ExtendedSequenceNumbers);
        Assert.Equal(esn, r.Proposal.ExtendedSequenceNumbers);
    }

    [Fact]
    public void Esn_only_against_no_esn_fails_quick_mode()
    {
        EnginePair pair = Ikev1Pair.Create(esp: "aes128gcm16-esn", rightEsp: "aes128gcm16");
        pair.Establish();
        Assert.Empty(pair.Events<ChildSaInstalled>(Side.Right));
        Assert.Empty(pair.Events<ChildSaInstalled>(Side.Left));
    }

    [Fact]
    public void The_attribute_is_sent_only_for_esn_and_decoded_back()
    {
        var choice = new Phase2Choice(Portcullis.Core.Crypto.Registry.TransformRegistry.Get<Portcullis.Core.Crypto.Registry.EncryptionTransform>("aes128gcm16"), null, null, Esn: true);
        List<DataAttribute> with = Ikev1Proposals.Phase2Attributes(choice, EncapsulationMode.Tunnel, TimeSpan.FromHours(1), 0);
        Assert.Contains(with, a => a.Type == (ushort)IpsecAttributeType.ExtendedSequenceNumber && a.BasicValue == 1);
        List<DataAttribute> without = Ikev1Proposals.Phase2Attributes(choice with { Esn = false }, EncapsulationMode.Tunnel, TimeSpan.FromHours(1), 0);
        Assert.DoesNotContain(without, a => a.Type == (ushort)IpsecAttributeType.ExtendedSequenceNumber);
        Assert.True(Ikev1Proposals.TryDecodePhase2(new TransformPayload(1, choice.TransformId, with), out Phase2Offer? offer, out string problem), problem);
        Assert.True(offer!.Esn);
        Assert.True(offer.Is(choice));
        Assert.False(offer.Is(choice with { Esn = false }));
    }
}
