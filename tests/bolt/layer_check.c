/*
 * Linked with every object of libbolt (--whole-archive) and nothing of
 * raftstate/ or cmd/: if bolt/ called upward, against the layers'
 * direction, this program would fail to link. It does nothing when run.
 */
int main(void)
{
	return 0;
}
