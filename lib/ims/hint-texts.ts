// The texts of the error hints: one or two plain-English sentences per error code, shown beside the
// error in the record, the webhook and the chat message (lib/ims/hints.ts picks the one that applies).
//
// Decisions worth knowing:
// - Every code of the IMS error code reference has its own entry, written from the reference's
//   handling measure but saying what to change in *our* request (field names of our API), not
//   copied. Codes for operations we never perform (sharing, deleting, updating images) still get
//   a hint: a future IMS answer may carry one.
// - Where the reference only says "contact technical support", the fault is the platform's:
//   the hint says to try again later and, if it repeats, to open a ticket quoting the code.
// - Hints are plain text (no markup, no links), so every surface can show them as they are.
// - Texts several codes share are written once (the constants below).
// - This module is data and nothing else (no imports, and hintTexts() its only export): the deployed
//   bundles hold it packed (deploy/esbuild-plugins.cjs), unpacked by the first hintTexts() call, when
//   a request first fails in the container.

// ---- texts shared by several codes ----

const PLATFORM_FAULT =
  "IMS failed inside the cloud platform, not because of what the request asked. Send the request again later; if it fails the same way, open a ticket with the cloud's support quoting the code and when it happened.";
const UNREADABLE_REQUEST =
  'IMS could not read the request this service sent, so sending it again unchanged will not help. Report the request id to the maintainers of ims-transfer.';
const IMAGE_NAME_RULES =
  'IMS does not accept this image name. Use 1 to 128 letters, digits, hyphens, periods, underscores or spaces in name, not starting or ending with a space.';
const IMAGE_NOT_FOUND =
  'No image with this image_id exists in the region and project of the request. Check the id, region and project_id, then send the request again.';
const IMAGE_NOT_ACTIVE =
  'The image is not active yet, or it failed. Wait until IMS lists it as active and send the request again; an image in an error state has to be made again.';
const TARGET_EXISTS =
  'An object of that name is already in the bucket, and IMS never overwrites one. Choose another object name in bucket_url, or delete the old object, and export again.';
const BUCKET_REGION =
  "The OBS bucket is in another region than the request, and IMS uses only buckets of its own region. Use a bucket in the request's region (copy the file there first for an import).";
const OBJECT_MISSING =
  'IMS found no file at the OBS location given. Check the bucket and object name in image_url, exactly as spelled and with any folders, and that the upload has finished.';
const LICENCE =
  'IMS will not export this image, typically because it derives from a public image whose licence forbids export (Windows, SUSE, Red Hat, Ubuntu, Oracle Linux). Export another image, such as one imported from your own image file.';
const FULL_ECS =
  'Full-ECS images cannot be exported or replicated. Capture the ECS instead (a capture request makes a system disk image) and export that image.';
const PERMISSION =
  'The IMS user of this service lacks a permission for this. Have an administrator grant it IMS access (and OBS access for imports and exports) in IAM, finish any pending account verification, and try again.';
const CREDENTIALS =
  'IAM or IMS refused the credentials this service uses for the project. Have an administrator check them (the tenant\'s ims_credentials, or the service\'s own) and that they may act in the project, then send the request again.';
const CSBS_PERMISSION = 'The IMS user may not use this CSBS backup. Grant it CSBS permissions in IAM, or use a backup of your own project.';
const updateRefused = (what: string) =>
  `IMS updates an image only from one with ${what}. Create a new image instead, or update from an image that matches.`;
const SOURCE_FALLBACK: Record<string, string> = {
  precheck:
    'IMS would refuse this request, so it was stopped before it reached IMS; the message says why. Correct the request (or choose another image or file) and send it again.',
  internal:
    'The request failed inside ims-transfer, not in IMS. Send it again; if it fails the same way, give the request id to the maintainers of ims-transfer.',
};
const UNKNOWN_CLOUD_CODE =
  "IMS, or a cloud service in front of it, answered with a code this service has no advice for. Look the code up in the error code reference of the cloud service its prefix names (IMG is IMS), and act on the message beside it.";

// ---- IMS's documented codes ----

const IMS_HINTS: Record<string, string> = {
  'IMG.0001': UNREADABLE_REQUEST,
  'IMG.0002': 'The image name is longer than IMS allows. Shorten name to 128 characters or fewer and send the request again.',
  'IMG.0003': IMAGE_NAME_RULES,
  'IMG.0004': 'The description is too long for IMS. Cut description to 1024 characters or fewer and send the request again.',
  'IMG.0005': 'IMS found no ECS with this instance_id in the region and project of the request. Check the id in the ECS console, and region and project_id, then capture again.',
  'IMG.0006': 'The ECS system disk is in a state IMS cannot capture from. Check the disk in the EVS console, bring it back to a normal in-use state, and capture again.',
  'IMG.0007': UNREADABLE_REQUEST,
  'IMG.0008': 'IMS captures this ECS only while it is stopped. Stop the ECS, wait until the console shows it stopped, and send the capture again.',
  'IMG.0009': 'The project already has an image with this name. Choose another name, or delete the old image, and send the request again.',
  'IMG.0010': 'The ECS is busy with another task (a resize, backup or disk change). Wait until that task has finished and send the capture again.',
  'IMG.0011': 'IMS wants a forced capture for this ECS, which this service never asks for. Stop the ECS and send the capture again.',
  'IMG.0012': "IMS did not get an ECS id. Give instance_id as the ECS's UUID from the ECS console and send the capture again.",
  'IMG.0013': 'IMS did not get an image name. Give name (1 to 128 characters) and send the request again.',
  'IMG.0014': PLATFORM_FAULT,
  'IMG.0015': "The project has used up its quota of private images. Delete images it no longer needs, or ask the cloud's support to raise the quota, then send the request again.",
  'IMG.0016': PLATFORM_FAULT,
  'IMG.0017': 'IMS could not read the OBS location. Write it as bucket:object, with no scheme and no leading slash (for example my-bucket:images/disk.qcow2).',
  'IMG.0018': PLATFORM_FAULT,
  'IMG.0019': 'IMS wanted a backup id and got none, or an invalid one. Look up the id of the backup in the CBR console and use exactly that.',
  'IMG.0020': 'IMS cannot find the backup. Check in the CBR console that it exists in this region and project and has not been deleted.',
  'IMG.0021': 'IMS did not recognise the kind of source given for the image. Check that type (ECS, BMS, FusionCompute, IsoImage, Ironic or DataImage) suits the disk and the file.',
  'IMG.0022': 'The disk is in a state IMS cannot make an image from. Check it in the EVS console, wait until it is available or in use without errors, and try again.',
  'IMG.0023': PLATFORM_FAULT,
  'IMG.0024': 'IMS rejected the image type. Set type to ECS or BMS and send the request again.',
  'IMG.0025': "IMS did not accept the kind of account behind this service's credentials. Have an administrator check the IMS user and its account, and ask the cloud's support if they look right.",
  'IMG.0026': PERMISSION,
  'IMG.0027': IMAGE_NOT_FOUND,
  'IMG.0028': 'The image is protected, so IMS will not act on it. Use another image of the project.',
  'IMG.0029': 'This backup has already been made into an image. Use that image, or choose a backup that has not been used yet.',
  'IMG.0030': "IMS rejected the project id together with the token. Check that project_id belongs to the region and that the credentials may enter it; an administrator may need to fix the tenant's ims_projects.",
  'IMG.0031': 'IMS does not know the id in the request. Check that image_id (or instance_id) is copied exactly and belongs to the region and project of the request.',
  'IMG.0032': 'The backup is not usable right now. Wait until the CBR console shows it available and try again.',
  'IMG.0033': "The backup is not of a system disk, which IMS needs here. Choose a backup of the ECS's system disk.",
  'IMG.0034': PLATFORM_FAULT,
  'IMG.0035': "Another change to the same image was under way. Wait a minute and send the request again; if it repeats, open a ticket with the cloud's support quoting the code.",
  'IMG.0036': PLATFORM_FAULT,
  'IMG.0037': PLATFORM_FAULT,
  'IMG.0038': PLATFORM_FAULT,
  'IMG.0039': "IMS could not give itself access to the bucket. Check that the IMS user has OBS administrator rights and that the bucket's policy denies it nothing, then try again.",
  'IMG.0040': PLATFORM_FAULT,
  'IMG.0041': 'IMS expected an account to grant access to and got none. Name a valid account in the request.',
  'IMG.0045': PLATFORM_FAULT,
  'IMG.0046': IMAGE_NOT_ACTIVE,
  'IMG.0047': 'Only the owner of the image may do this, and this project is not its owner (the image is public or shared). Use an image the project owns, or ask the owner.',
  'IMG.0053': PLATFORM_FAULT,
  'IMG.0054': 'IMS does not accept the description. Keep it to 1024 characters or fewer, without angle brackets or line breaks, and send the request again.',
  'IMG.0055': 'IMS rejected the disk or memory size. Set min_disk to at least the disk size inside the image file, within the range for the disk kind, and keep min_ram at or below max_ram.',
  'IMG.0056': 'IMS does not know this os_version. Use an OS version exactly as IMS lists it (for example Ubuntu 18.04 server 64bit) and send the import again.',
  'IMG.0057': 'IMS could not use the file at image_url: it is missing, empty, in an unsupported format, or IMS may not read it. Check the object and its upload, its format, and that the bucket lets IMS read it.',
  'IMG.0058': BUCKET_REGION,
  'IMG.0059': 'The file is larger than IMS imports the ordinary way (128 GB). Convert it to ZVHD2, or RAW with a bitmap file, and use quick import, or shrink the image before uploading.',
  'IMG.0060': 'IMS is throttling: the account has too many jobs running. Wait a few minutes and send the request again, or spread requests out over time.',
  'IMG.0061': PLATFORM_FAULT,
  'IMG.0062': IMAGE_NAME_RULES,
  'IMG.0063': 'IMS cannot make an image from this kind of ECS (its type or flavor forbids it). Capture a different ECS.',
  'IMG.0064': PLATFORM_FAULT,
  'IMG.0065': PLATFORM_FAULT,
  'IMG.0066': 'The image_id is not a valid IMS image id. Copy the UUID from the image list of the right region and project and send the request again.',
  'IMG.0067': "IMS does not recognise the project id. Check that project_id is a project of the region, or leave it out to use the tenant's default project.",
  'IMG.0068': 'The OBS location has no bucket name. Write it as bucket:object with both parts and send the request again.',
  'IMG.0069': 'IMS cannot reach the bucket. Check that the bucket exists in the region of the request and that its policy and ACL let the IMS user read and write it.',
  'IMG.0070': TARGET_EXISTS,
  'IMG.0071': LICENCE,
  'IMG.0072': 'IMS does not support this file format here. Export with file_format qcow2, vhd, zvhd or vmdk (or is_quick_export for ZVHD2); for an import, convert the file to qcow2, vhd, vmdk or raw first.',
  'IMG.0073': 'The export has no object name. Write bucket_url as bucket:object with a file name after the colon.',
  'IMG.0074': 'The object name is too long for IMS. Use a shorter object name, folders included, and send the request again.',
  'IMG.0075': 'The file name has characters IMS does not allow. Use 1 to 128 letters, digits, hyphens, periods, underscores or spaces, not starting or ending with a space.',
  'IMG.0076': 'An image cannot be shared with the project that owns it. Share it with another project or account.',
  'IMG.0077': 'IMS does not export public images. Export a private image instead, such as one imported from your own image file.',
  'IMG.0079': 'IMS does not export images made from a paid (charged) image. Export a private image that does not derive from a paid one, such as one imported from your own file.',
  'IMG.0080': 'IMS does not export images made from a CSBS or CBR backup. Create an ECS from this image, capture that ECS and export the captured image instead.',
  'IMG.0081': 'IMS does not export images made from an uploaded file such as an ISO image. Create an ECS from it, install the system, capture that ECS and export the captured image.',
  'IMG.0083': 'This operation needs a private image, and this one is public. Use a private image of the project as image_id.',
  'IMG.0084': 'This operation needs a public image, and this one is private. Use a public image, or an operation meant for private images.',
  'IMG.0085': "IMS does not accept the publishing setting of the image, which this service never sets. Check the image's publishing options, or ask the cloud's support.",
  'IMG.0086': IMAGE_NOT_FOUND,
  'IMG.0087': "IMS rejected this service's token. Have an administrator check the IMS credentials and that the IAM and IMS endpoints belong to the same cloud, then try again.",
  'IMG.0088': "The image is shared with as many projects as IMS allows. Stop sharing it where it is no longer needed, or ask the cloud's support to raise the quota.",
  'IMG.0089': 'Public images cannot be shared, as every project can already use them. Share a private image instead.',
  'IMG.0090': 'The image is still being made. Wait until it is active, or has failed, before deleting it.',
  'IMG.0092': 'Only the project that owns the image may delete it. Ask the owner to delete it, or just reject the share.',
  'IMG.0094': 'Public images belong to the cloud and cannot be deleted. Delete only private images of the project.',
  'IMG.0095': 'The KMS key given in cmk_id does not exist in this region and project. Check the key id in the KMS console, or leave cmk_id out.',
  'IMG.0096': 'The new KMS key must differ from the key the image is already encrypted with. Choose a different key.',
  'IMG.0097': 'The KMS key is disabled. Enable it in the KMS console, or name an enabled key in cmk_id, and send the request again.',
  'IMG.0098': 'IMS does not share encrypted images. Make an unencrypted copy of the image and share the copy.',
  'IMG.0099': 'The IMS user may not use this KMS key. Grant it access to the key in KMS, or name a key it can use in cmk_id.',
  'IMG.0100': 'The account has not been admitted to the KMS encryption trial this needs. Apply for it in the cloud console, or import without cmk_id.',
  'IMG.0101': 'The key the image was encrypted with no longer exists. Restore the key in KMS if it is only pending deletion; otherwise use another image.',
  'IMG.0102': 'The key the image was encrypted with is disabled. Enable it in the KMS console and try again.',
  'IMG.0103': 'The IMS user may not use the key the image was encrypted with. Grant it access to that key in KMS and try again.',
  'IMG.0104': 'The region has several projects, so IMS needs to know which one. Give the project_id of the project to use.',
  'IMG.0105': "IMS does not support this operation for this image or in this region (quick import or quick export may be missing there). Change the request, or ask the cloud's support.",
  'IMG.0106': 'The image belongs to another account. Use an image of this project, or ask its owner to share it and accept the share first.',
  'IMG.0108': "The account is not known in this region. Check that region and project_id belong together; if they do, ask the cloud's support to enable the account there.",
  'IMG.0109': 'The bucket name is not a valid OBS name. Use 3 to 63 lower-case letters, digits, hyphens or periods (not shaped like an IP address) before the colon.',
  'IMG.0110': "The ECS's system disk is not available right now. Wait until it is back in normal use, with no task running on it, and capture again.",
  'IMG.0111': 'The system disk size is out of range: at least the disk size of the image and under 1024 GB. Adjust min_disk, or the disk of the ECS, and try again.',
  'IMG.0112': PLATFORM_FAULT,
  'IMG.0113': PLATFORM_FAULT,
  'IMG.0114': PLATFORM_FAULT,
  'IMG.0115': 'A tag is not in a form IMS accepts. Write tags as key.value (key 1 to 36, value up to 43 letters, digits, hyphens or underscores) and send the request again.',
  'IMG.0116': 'The image would carry more tags than IMS allows. Send fewer tags, or remove tags the image no longer needs.',
  'IMG.0117': 'IMS makes this image only from an ECS or a BMS. Check that instance_id names an ECS or BMS, and that type is ECS or BMS.',
  'IMG.0118': 'BMS images cannot be encrypted with KMS. Leave cmk_id out for a BMS image.',
  'IMG.0119': 'The ECS has no system disk attached. Attach its system disk and capture again.',
  'IMG.0120': 'A data disk named in the request is not usable. Check the disk id and that the disk is attached and in use, then try again.',
  'IMG.0121': OBJECT_MISSING,
  'IMG.0122': 'IMS does not accept this OS type. Use os_type Linux or Windows for a data disk, or an os_version from the IMS list for a system disk.',
  'IMG.0123': 'The same image file was given twice. Name each file once and send the request again.',
  'IMG.0125': 'Data disk images cannot become public images. Publish a system disk image instead.',
  'IMG.0126': 'The ECS must be running or stopped for a full-ECS image. Wait until it is in one of those states and try again.',
  'IMG.0127': 'IMS cannot find the CSBS backup. Check that it exists in this region and project.',
  'IMG.0128': FULL_ECS,
  'IMG.0130': FULL_ECS,
  'IMG.0132': 'The CSBS backup is not available yet. Wait until it is, then try again.',
  'IMG.0133': CSBS_PERMISSION,
  'IMG.0134': 'This CSBS backup already has its full-ECS image, and a backup makes only one. Use that image, or choose another backup.',
  'IMG.0135': 'Full-ECS images cannot be shared. Share a system disk image captured from the same ECS instead.',
  'IMG.0136': 'The ECS is being backed up right now. Wait until the backup is available and try again.',
  'IMG.0137': 'IMS could not read the ECS. Check that instance_id names an ECS in the region and project of the request, and that the IMS user may manage ECSs.',
  'IMG.0138': PLATFORM_FAULT,
  'IMG.0139': "Another disk of this ECS is busy in another image task. Wait until that task ends and try again; if it persists, ask the cloud's support.",
  'IMG.0140': 'The disks in the request belong to different ECSs. Use disks of one ECS only.',
  'IMG.0141': 'IMS takes only bios or uefi as hw_firmware_type. Set one of them (uefi for an Arm image) and send the request again.',
  'IMG.0144': IMAGE_NOT_FOUND,
  'IMG.0145': 'IMS does not know this project name. Check that region and project_id belong together and send the request again.',
  'IMG.0148': 'This image is being exported already. Wait until that export has finished before exporting it again.',
  'IMG.0153': 'IMS cannot make images from an ECS on dedicated storage (DSS or DESS disks). Capture an ECS whose disks are ordinary EVS disks.',
  'IMG.0154': PLATFORM_FAULT,
  'IMG.0155': "IMS could not check enterprise_project_id. Check that the id exists and the IMS user may use it, or leave it out; ask the cloud's support if it persists.",
  'IMG.0156': PLATFORM_FAULT,
  'IMG.0160': 'IMS exports images over 128 GB only by quick export. Set is_quick_export to true (the file is written as ZVHD2, so leave file_format out) and export again.',
  'IMG.0161': PERMISSION,
  'IMG.0162': 'The vendor name is not valid. Use at most 12 letters and spaces, not starting or ending with a space.',
  'IMG.0163': 'Only Windows images that boot in BIOS mode can carry a vendor title. Leave the vendor setting out for this image.',
  'IMG.0164': 'The ECS is a spot instance the cloud is reclaiming, so it cannot be captured now. Capture it before it is reclaimed, or capture an ECS that is not a spot instance.',
  'IMG.0165': CSBS_PERMISSION,
  'IMG.0166': 'An ISO image needs its OS version. Give os_version as IMS lists it together with type IsoImage and send the import again.',
  'IMG.0167': 'IMS does not do this with ISO images. Create an ECS from the ISO image, install the system, capture that ECS and use the captured image.',
  'IMG.0168': 'IMS never updates a data disk image in place. Make a new data disk image from the changed disk or file instead.',
  'IMG.0169': updateRefused('the same OS version'),
  'IMG.0170': updateRefused('the same file format'),
  'IMG.0171': updateRefused('at least the same minimum disk size'),
  'IMG.0172': updateRefused('at least the same minimum memory'),
  'IMG.0173': updateRefused('the same environment type'),
  'IMG.0174': updateRefused('the same name'),
  'IMG.0175': 'Folder and file names in bucket_url or image_url must not contain spaces. Rename the object (hyphens or underscores instead) and send the request again.',
  'IMG.0176': PLATFORM_FAULT,
  'IMG.0177': 'The source and target accounts are in different regions. Share or replicate images only within one region.',
  'IMG.0178': 'The target account is the one that owns the image. Name a different account as the target.',
  'IMG.0179': PLATFORM_FAULT,
  'IMG.0180': "CBR cannot make a full-ECS image here. Capture the ECS as a system disk image instead, or ask the cloud's support.",
  'IMG.0181': PLATFORM_FAULT,
  'IMG.0182': 'The backup vault is full. Expand the vault in the CBR console, or delete old backups, and try again.',
  'IMG.0183': 'The ECS already belongs to another backup vault. Use that vault, or remove the ECS from it, and try again.',
  'IMG.0184': 'IMS could not find the backup vault. Check that the vault exists in this region and project.',
  'IMG.0185': 'The vault already protects as many ECSs as it can. Use another vault, or remove ECSs it no longer needs to protect.',
  'IMG.0186': "The ECS is protected by the older CSBS backup service, which blocks this. Remove it from its CSBS policy, or ask the cloud's support, and try again.",
  'IMG.0187': "KMS is throttling requests of the account. Wait a few minutes and try again; if it persists, ask the cloud's support.",
  'IMG.0188': "The backup vault is not usable right now. Check its state in the CBR console and try again later; ask the cloud's support if it stays so.",
  'IMG.0189': "The target CBR vault cannot receive replicated images. Choose a vault for replication in the target region, or ask the cloud's support.",
  'IMG.0190': 'Full-ECS images can be made only from CBR backups. Use a CBR backup of the ECS as the source.',
  'IMG.0191': PLATFORM_FAULT,
  'IMG.0192': PLATFORM_FAULT,
  'IMG.0193': 'The vault is not a vault for cloud server backups. Use a CBR vault of the server backup type.',
  'IMG.0194': 'The account has as many imports running as IMS allows at once. Wait until some have finished and send the import again.',
  'IMG.0195': 'A full-ECS image made from a CBR backup needs its OS. Give the OS version and try again.',
  'IMG.0196': 'The receiving project has not accepted the shared image, so it cannot be replicated. Accept the share there first.',
  'IMG.0197': 'A shared image encrypted with KMS cannot be replicated. Ask the owner for an unencrypted copy and replicate that.',
  'IMG.0198': 'The backup id does not exist or is of the wrong kind for this request. Check the id and whether it is a CSBS or a CBR backup.',
  'IMG.0212': 'The architecture must be x86 or arm. Set architecture to one of them and send the request again.',
  'IMG.0238': 'The account has not finished the identity verification IMS requires. Complete it in the cloud console and try again.',
  'IMG.0239': 'The account balance is too low. Top up the account, or settle what it owes, and send the request again.',
  'IMG.0241': "The account's payment details are incomplete. Complete them in the billing console and try again.",
  'IMG.0242': "The enterprise department's budget is used up. Ask the account's administrator to raise it, then try again.",
  'IMG.1075': "IMS could not register the image file. Check that the file is complete and in the format its name says, upload it again if in doubt, and ask the cloud's support if it repeats.",
};

// ---- our own codes ----

const OWN_HINTS = {
  VALIDATION: 'A field of the request breaks a rule; the message names the field. Correct that field and send the request again.',
  IMS_REFUSED: 'IMS refused the request without a code. Read the message for the field or resource it names, correct the request and send it again.',
  IMS_UNAVAILABLE:
    "IMS could not be reached, or kept failing, through every retry. Check the cloud's service status and the endpoint settings of this service, then send the request again.",
  IMS_OUTCOME_UNKNOWN:
    'IMS never answered the submission, so it may or may not have started the job. Look for the new image, or the exported file, before you send the request again, so the work is not done twice.',
  IMS_JOB_FAILED:
    'IMS reported the job failed without a code or reason. Look up the IMS job id of the record in the IMS console for details, fix the cause and send the request again.',
  IMAGE_ID_MISSING: 'IMS said the job succeeded but named no image. Look for the image by its name in the IMS console; if there is none, send the request again.',
  IMAGE_NOT_ACTIVE:
    'The image IMS was making was deleted, or ended in an error state, before it became usable. Check the source file or ECS and send the request again.',
  JOB_DEADLINE:
    'The request did not finish in time: it never reached IMS, or IMS was still working. Look for its job or image in the IMS console before sending it again; raise IMS_JOB_DEADLINE_HOURS if jobs this long are normal.',
  FORBIDDEN:
    "This tenant may not use the region or project named. Leave region and project_id out to use the tenant's default, or name one of its projects; an administrator can add projects to the tenant's ims_projects.",
  AUTH_FAILED: CREDENTIALS,
  PROJECT_UNKNOWN:
    "The credentials cannot enter this project: the id is wrong, or it belongs to another account or region. Check region and project_id against the IAM console's project list, or ask an administrator to fix the tenant's ims_projects.",
  IMAGE_NOT_FOUND: IMAGE_NOT_FOUND,
  IMAGE_NOT_OWNED:
    'The image is not a private image of this project (it is public, or shared with it), and IMS exports only those. Export an image the project owns, or ask the owner to export it.',
  QUICK_IMPORT_FORMAT:
    'Quick import takes only ZVHD2 files, or RAW files with their bitmap file. Convert the file to one of those, or import it without quick if it is 128 GB or smaller.',
  EXPORT_TARGET_EXISTS: TARGET_EXISTS,
  BUCKET_REGION: BUCKET_REGION,
  BUCKET_STORAGE_CLASS:
    'IMS reads and writes only OBS buckets of the Standard storage class. Use a Standard bucket (for an import, a Standard object too) and send the request again.',
  SOURCE_OBJECT_MISSING: OBJECT_MISSING,
  EXPORT_UNVERIFIED:
    'The export may have run, but its file never showed up complete in the bucket in time (IMS\'s answer was lost, or OBS could not be read). Look for the object named in bucket_url; if it is missing or empty, delete any partial object and export again.',
  IMAGE_KILLED:
    'IMS made the image of this request but it ended killed or deleted, so the request was not sent again. Check the source file or ECS (the IMS console shows the image), delete the failed image, and send the request again.',
  JOB_NOT_FOUND:
    'IMS no longer knows the job of this request and nothing it made could be found. Look for the image (or, for an export, the object in the bucket) in the consoles; if there is none, send the request again.',
};

const TEXTS = { ims: IMS_HINTS, own: OWN_HINTS, bySource: SOURCE_FALLBACK, unknownCloudCode: UNKNOWN_CLOUD_CODE };

/** Every hint text: by IMS code, by our own code, by error source, and the one for a cloud code we have no entry for. */
export const hintTexts = () => TEXTS;
