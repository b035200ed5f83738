using Portcullis.Core.Ikev1.Wire;
using Portcullis.Core.Ikev2;
using Portcullis.Core.Tests.Ikev2;
using static Portcullis.Core.Tests.Ikev2.EnginePair;

namespace Portcullis.Core.Tests.Ikev1;

/// <summary>
/// Issue 9's retransmission property for IKEv1 (RFC 2409 has no request/response pairs: a side that sees the peer's
/// last message again answers with its own last message, RFC 2408 §5.x's retransmission): every message of Main
/// Mode, Aggressive Mode and Quick Mode that arrives twice gets byte for byte the same reply, and the repeat changes
/// nothing (no second ISAKMP SA, no second CHILD SA, the same events as a run without repeats). Informational
/// messages (deletes) are not answered, and a repeated one deletes nothing more.
/// </summary>
public class Ikev1RetransmissionTests
{
    public static TheoryData<bool> Aggressive => [false, true];

    private static EnginePair Pair(bool aggressive) => Ikev1Pair.Create(aggressiveLeft: aggressive, aggressiveRight: aggressive);

    private static IsakmpHeader? Header(Packet p) => IsakmpHeader.TryParse(p.Data, out IsakmpHeader h, out _) ? h : null;

    private static string Events(EnginePair pair, Side side) => string.Join(",", (side == Side.Left ? pair.LeftEvents : pair.RightEvents).Select(e => e.GetType().Name));

    /// <summary>
    /// Every datagram of the initiator arrives twice in a row; the responder's answer to a repeat is recorded but not
    /// delivered (else the initiator would see a repeat too and answer it, which is another test's business).
    /// </summary>
    private static List<Packet> RepeatEveryInitiatorMessage(EnginePair pair)
    {
        var answersToRepeats = new List<Packet>();
        var fromRight = new List<byte[]>();
        pair.Intercept = p =>
        {
            if (p.From == Side.Left) return [p, p];
            if (fromRight.Any(d => d.AsSpan().SequenceEqual(p.Data)))
            {
                answersToRepeats.Add(p);
                return [];
            }
            fromRight.Add(p.Data);
            return [p];
        };
        return answersToRepeats;
    }

    [Theory]
    [MemberData(nameof(Aggressive))]
    public void A_repeated_phase_1_or_quick_mode_message_gets_the_same_reply_bytes_and_changes_nothing(bool aggressive)
    {
        EnginePair baseline = Pair(aggressive);
        baseline.Establish();
        Packet[] baselineReplies = [.. baseline.Sent.Where(p => p.From == Side.Right)];
        Assert.Single(baseline.Events<ChildSaInstalled>(Side.Right));

        EnginePair pair = Pair(aggressive);
        List<Packet> answersToRepeats = RepeatEveryInitiatorMessage(pair);
        pair.Establish();

        // The same exchange happened: as many distinct replies from the responder, one ISAKMP SA, one CHILD SA each.
        Packet[] replies = [.. pair.Sent.Where(p => p.From == Side.Right)];
        Assert.Equal(baselineReplies.Length, replies.Length - answersToRepeats.Count);
        Assert.Single(pair.Right.Ikev1.Sas);
        Assert.Single(pair.Events<ChildSaInstalled>(Side.Right));
        Assert.Single(pair.Events<ChildSaInstalled>(Side.Left));
        Assert.Equal(Events(baseline, Side.Right), Events(pair, Side.Right));
        Assert.Equal(Events(baseline, Side.Left), Events(pair, Side.Left));

        // Each reply was sent again, byte for byte, once per repeat: phase 1 (MM2, MM4, MM6 or AM2) and Quick Mode 2.
        // The initiator's last messages (MM5 is answered; AM3 and QM3 end their exchanges) get nothing.
        string[] expected = aggressive ? ["AGGRESSIVE", "QUICK_MODE"] : ["ID_PROT", "ID_PROT", "ID_PROT", "QUICK_MODE"];
        Assert.Equal(expected.Length, answersToRepeats.Count);
        for (int i = 0; i < answersToRepeats.Count; i++)
        {
            Packet original = replies.First(p => p.Data.AsSpan().SequenceEqual(answersToRepeats[i].Data));
            Assert.NotSame(original, answersToRepeats[i]);
            Assert.Equal(expected[i] == "ID_PROT" ? IsakmpExchangeType.IdentityProtection : expected[i] == "AGGRESSIVE" ? IsakmpExchangeType.Aggressive : IsakmpExchangeType.QuickMode,
                Header(answersToRepeats[i])!.Value.ExchangeType);
        }
        Assert.DoesNotContain(pair.RightLog.Warnings, w => w.Contains("Quick Mode", StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(Aggressive))]
    public void A_repeated_informational_delete_is_not_answered_and_deletes_nothing_more(bool aggressive)
    {
        EnginePair pair = Pair(aggressive);
        pair.Establish();
        Assert.Single(pair.Right.Ikev1.Sas);
        string before = Events(pair, Side.Right);
        int sentBefore = pair.Sent.Count;

        EnginePair twin = Pair(aggressive);
        twin.Establish();
        twin.Left.Terminate(twin.Now, "net");
        twin.Drive(TimeSpan.Zero);
        string deletedOnce = Events(twin, Side.Right);
        Assert.NotEqual(before, deletedOnce); // the delete does change state: the comparison below can fail
        int deliveredBefore = pair.Delivered.Count;

        RepeatEveryInitiatorMessage(pair);
        Assert.Equal(1, pair.Left.Terminate(pair.Now, "net"));
        pair.Drive(TimeSpan.Zero);

        Packet[] informational = [.. pair.Sent.Skip(sentBefore).Where(p => p.From == Side.Left && Header(p)?.ExchangeType == IsakmpExchangeType.Informational)];
        Assert.NotEmpty(informational);
        Assert.Equal(2 * informational.Length, pair.Delivered.Skip(deliveredBefore).Count(p => p.From == Side.Left && Header(p)?.ExchangeType == IsakmpExchangeType.Informational));
        Assert.DoesNotContain(pair.Sent.Skip(sentBefore), p => p.From == Side.Right); // Informational is not answered, repeated or not
        Assert.Empty(pair.Right.Ikev1.Sas);
        Assert.Equal(deletedOnce, Events(pair, Side.Right)); // one removal of each SA, as in the run without repeats
        Assert.Single(pair.Events<ChildSaRemoved>(Side.Right));
    }
}
