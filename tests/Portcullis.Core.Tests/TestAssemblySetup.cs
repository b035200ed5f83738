using System.Runtime.CompilerServices;
using Portcullis.Core.Ikev2;

namespace Portcullis.Core.Tests;

internal static class TestAssemblySetup
{
    /// <summary>
    /// Every IKE engine in these tests checks its timer queue against a walk over all its SAs whenever the queue is
    /// read, so that any exchange the tests drive proves no SA's timers changed unnoticed.
    /// </summary>
    [ModuleInitializer]
    internal static void VerifyIkeTimerQueues() => IkeEngine.VerifyTimerQueue = true;
}
