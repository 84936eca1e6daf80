/**
 * Every text the emulated `ibmcloud` and its `tke` plug-in print, in one place. `documented` texts are quoted from IBM's
 * documentation or from public transcripts of real runs (research/real-backends.md §2, research/tke-domain.md §2); the
 * `inferred` ones have no public source (the `cryptounit-mk-rotate` transcript, the `cryptounit-rm` prompt, the
 * `cryptounit-mk-clrnew` texts, …) and are our best guess, built the way the documented ones are. A driver that
 * meets an inferred text on a real plug-in and finds it different must refuse, never adapt: that is what the emulator
 * lets it practise. Nothing here is shared with the driver (src/backends/tke-cli), which keeps its own table.
 */

interface Text {
  readonly text: string;
  readonly source: "documented" | "inferred";
}

const documented = (text: string): Text => ({ text, source: "documented" });
const inferred = (text: string): Text => ({ text, source: "inferred" });

export const PLUGIN = {
  name: "tke",
  /** A documented plug-in release that has every command emulated here (research/real-backends.md §3). */
  version: "1.2.3",
  sdkVersion: "0.6.7",
  minimalCliVersion: "1.0.0",
} as const;

export const TEXTS = {
  // ibmcloud core
  notLoggedIn: inferred("Not logged in. Use 'ibmcloud login' to log in."),
  notRegistered: (command: string) => inferred(`'${command}' is not a registered command. See 'ibmcloud help'.`),
  authenticating: documented("Authenticating..."),
  badApiKey: inferred("Unable to authenticate. The API key is not valid."),
  pluginNotInstalled: (name: string) => inferred(`Plug-in '${name}' was not found.`),
  listingPlugins: documented("Listing installed plug-ins..."),

  // tke: unit listing (research §2.2, TOOLKIT transcript)
  noInstances: documented("No service instances were found for the current resource group."),
  unitsNote: documented("Note: all operational crypto units in a service instance must be configured the same."),
  unitsHint: documented("Use 'ibmcloud tke cryptounit-compare' to check how crypto units are configured."),
  addUnits: documented("Enter a list of CRYPTO UNIT NUM to add, separated by spaces:"),
  removeUnits: inferred("Enter a list of CRYPTO UNIT NUM to remove, separated by spaces:"),
  badUnitNumber: (value: string) => inferred(`'${value}' is not a valid CRYPTO UNIT NUM.`),

  // tke: compare
  imprintNote: documented("==> Crypto units with a signature threshold of 0 are in IMPRINT MODE. <=="),
  differently: documented("==> WARNING: Crypto units are configured differently. <=="),
  noAdministrators: documented("No administrators"),
  noUnitsSelected: inferred("No crypto units are selected. Use 'ibmcloud tke cryptounit-add' to select crypto units."),
  noAdminsForInstance: (instance: string) => documented(`No crypto unit administrators for service instance ${instance}`),

  // tke: signature keys
  noSigkeys: documented("No files containing a signature key were found."),
  sigkeyAddHint: documented("To create a file containing a signature key, use the 'ibmcloud tke sigkey-add' command."),
  adminName: documented("Enter an administrator name to be associated with the signature key:"),
  sigkeyPassword: documented("Enter a password to protect the signature key:"),
  reenterPassword: documented("Re-enter the password to confirm:"),
  passwordsDiffer: inferred("The passwords entered do not match."),
  sigkeyCreated: documented("A signature key was created."),
  availableSigkeys: documented("The available signature keys on this workstation are:"),
  noSigkeySelected: documented("No KEYNUM are selected as current signature keys."),
  oneSigkeySelected: (n: number) => documented(`KEYNUM ${n} is selected as the current signature key.`),
  sigkeysSelected: (ns: readonly number[]) => inferred(`KEYNUMs ${ns.join(" ")} are selected as current signature keys.`),
  selectSigkeys: documented("Enter the KEYNUM values to select as current signature keys, separated by spaces:"),
  sigkeyKeynumPassword: (n: number) => documented(`Enter the password for KEYNUM ${n}:`),
  madeCurrent: (n: number) => documented(`KEYNUM ${n} has been made the current signature key.`),
  madeCurrentMany: (ns: readonly number[]) => inferred(`KEYNUMs ${ns.join(" ")} have been made the current signature keys.`),
  invalidPassword: documented("Invalid password."),
  /** The signer prompt: the message, then the administrator's name and the first 30 hex digits of its SKI. */
  signerPrompt: documented("Enter the password for the signature key identified by:"),
  signer: (name: string, ski: string) => documented(`${name} (${ski.slice(0, 30)}...)`),
  noSignersSelected: inferred("No signature keys are selected. Use 'ibmcloud tke sigkey-sel' to select the signature keys to be used."),

  // tke: administrators and thresholds
  adminKeynum: documented("Enter the KEYNUM of the administrator signature key you wish to load:"),
  adminKeyPassword: documented("Enter the password for the administrator signature key file:"),
  adminAdded: documented("The crypto unit administrator was added to the selected crypto units."),
  newSignatureThreshold: documented("Enter the new signature threshold value:"),
  newRevocationThreshold: documented("Enter the new revocation signature threshold value:"),
  thresholdsSet: documented("New signature threshold values have been set in the selected crypto units."),
  zeroizeConfirm: documented("Are you sure you want to zeroize the selected crypto units?"),
  zeroized: inferred("The selected crypto units have been zeroized."),

  // tke: master key parts
  noKeyParts: documented("No files containing an EP11 master key part were found."),
  keyPartValue: documented("Enter the key part value:"),
  keyPartDescription: documented("Enter a description for the key part:"),
  keyPartPassword: documented("Enter a password to protect the key part:"),
  keyPartCreated: documented("A key part was created."),
  availableKeyParts: documented("The available EP11 master key parts on this workstation are:"),
  badKeyPartValue: inferred("The key part value must be a hexadecimal string of 64 characters (32 bytes)."),
  keyPartRemoveKeynum: inferred("Enter the KEYNUM of the master key part you wish to remove:"),
  keyPartRemoved: inferred("The master key part was removed."),

  // tke: master key registers
  loadKeynums: documented("Enter the KEYNUM values of the master key parts you wish to load."),
  loadCount: documented("2 or 3 values must be specified, separated by spaces."),
  keyFilePassword: (i: number) => documented(`Enter the password for key file ${i}`),
  sameAsCurrent: documented(
    "The new master key value is the same as the current master key value. Make sure that at least one master key part is not used for the current master key.",
  ),
  loaded: documented("The new master key register has been loaded in the selected crypto units."),
  committed: documented("The new master key register has been committed in the selected crypto units."),
  cleared: inferred("The new master key register has been cleared in the selected crypto units."),
  setimmWarning: documented(
    "Warning!  Any key storage associated with the targeted service instance must be prepared to accept the new master key value before running this command.  Otherwise, key storage may become unusable.",
  ),
  continueQuestion: documented("Do you want to continue?"),
  answer: documented("Answer [y/N]:"),
  setimmDone: documented("Set immediate completed successfully in the selected crypto units."),
  cancelled: inferred("The command was cancelled. Nothing was changed."),

  // tke: cryptounit-mk-rotate (no public transcript: research §2.10; the marker and the app's progress texts are documented)
  rotateIntro: inferred("The key storage of the service instance will be re-encrypted with the committed new master key, which is then moved to the current master key register."),
  rotatePrecheckQuestion: inferred("Do you want to proceed with the pre-check?"),
  precheckPassed: inferred("Pre-check passed."),
  invalidSelection: documented("Not all crypto units in a single service instance are selected. Or, crypto units in more than one service instance are selected."),
  rotationStarted: documented("Master key rotation started."),
  rewrapProgress: (done: number, total: number) => inferred(`${done} of ${total} keys in key storage have been re-encrypted.`),
  marker: documented("KMS CRK rewrap successful, waiting on cryptounit-mk-setimm."),
  rotationSuccessful: documented("Master key rotation successful."),

  // tke: auto-mk-rotate (research tke-domain §4.3: its flow and two lines are documented, its prompts are not; auto-init's
  // progress texts, §5.2, are taken for the generation)
  autoRotateInstance: inferred("Enter the INSTANCE NUM of the service instance whose master key you want to rotate."),
  autoRotateIntro: inferred("A random master key value will be generated in a recovery crypto unit, copied to every crypto unit of the service instance, and used to re-encrypt its key storage."),
  generating: documented("Generating a random master key value...."),
  transferring: (n: number, of: number) => documented(`Transferring the master key value to ${n} of ${of} crypto units....`),
  delaying: documented("Delaying 30 seconds to allow server to discover new master key values"),
  /** As the recovery-unit page quotes it: without the final period of the key-part page's. */
  autoMarker: documented("KMS CRK rewrap successful, waiting on cryptounit-mk-setimm"),

  // errors (research §2.4, §4.1)
  ep11Header: documented("Error reported by EP11 crypto module."),
  unauthorized: documented("Your access token is invalid, expired, or does not have the necessary permissions to access this instance."),
  unavailable: documented("IBM Hyper Protect Crypto Services is currently unavailable. Try again later."),
} as const;

/** The sections of `cryptounit-compare` and `cryptounit-mk`, as TKE titles them. */
export const SECTIONS = {
  thresholds: "SIGNATURE THRESHOLDS",
  admins: "CRYPTO UNIT ADMINISTRATORS",
  newRegister: "NEW MASTER KEY REGISTER",
  currentRegister: "CURRENT MASTER KEY REGISTER",
  controlPoints: "CONTROL POINTS",
} as const;
