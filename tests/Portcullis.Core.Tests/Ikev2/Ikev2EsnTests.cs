using Portcullis.Core.Ikev2;
using static Portcullis.Core.Tests.Ikev2.EnginePair;

namespace Portcullis.Core.Tests.Ikev2;

/// <summary>The ESN transform (RFC 7296 §3.3.2, type 5) chosen in IKE_AUTH and carried to the CHILD SA.</summary>
public class Ikev2EsnTests
{
    private static EnginePair Pair(string leftEsp, string rightEsp) =>
        new(MakeConfig(Connection(left: true, esp: leftEsp)), MakeConfig(Connection(left: false, esp: rightEsp)));

    [Theory]
    [InlineData("aes128gcm16-esn", "aes128gcm16-esn", true)]
    [InlineData("aes128gcm16-esn-noesn", "aes128gcm16-esn", true)]
    [InlineData("aes128gcm16-esn-noesn", "aes128gcm16-noesn-esn", false)] // the responder's preference wins
    [InlineData("aes128gcm16-esn-noesn", "aes128gcm16", false)]
    [InlineData("aes128gcm16", "aes128gcm16-esn-noesn", false)]
    [InlineData("aes256-sha256-esn", "aes256-sha256-esn-noesn", true)]
    public void The_chosen_esn_reaches_both_child_sas(string leftEsp, string rightEsp, bool esn)
    {
        EnginePair pair = Pair(leftEsp, rightEsp);
        pair.Establish();
        (ChildSa l, ChildSa r) = Ikev2EstablishTests.AssertChildPair(pair);
        Assert.Equal(esn, l.Proposal.ExtendedSequenceNumbers);
        Assert.Equal(esn, r.Proposal.ExtendedSequenceNumbers);
        Assert.Equal(esn, l.Proposal.ToString().EndsWith("-esn", StringComparison.Ordinal));
    }

    [Fact]
    public void Esn_required_on_one_side_and_refused_on_the_other_fails_the_child_only()
    {
        EnginePair pair = Pair("aes128gcm16-esn", "aes128gcm16");
        pair.Establish();
        Assert.Single(pair.Events<IkeSaEstablished>(Side.Left));
        Assert.Empty(pair.Events<ChildSaInstalled>(Side.Left));
        Assert.Empty(pair.Events<ChildSaInstalled>(Side.Right));
        Assert.True(pair.RightLog.Has("EXTENDED_SEQUENCE_NUMBERS"), pair.Dump());
    }
}
